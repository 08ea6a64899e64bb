#!/usr/bin/env python3
"""
A syncing mail client written with Python's standard imaplib, run by
test/e2e/imap-real-client.test.ts against the real server. It does what a client that keeps a
local copy does, once over IMAPS and once over STARTTLS, and reports what it got:

- every message of INBOX is written to OUT/inbox-<uid>.eml, byte for byte as fetched;
- one JSON object per line on stdout: {"event": "idling"} when IDLE is running (the test then
  delivers a message), and at the end {"event": "report", ...} with what each step answered.

Usage: imaplib-sync.py CONFIG.json   (host, imaps, imap, ca, user, password, out, append, expunge)
"""
import hashlib
import imaplib
import json
import os
import re
import socket
import ssl
import sys
import time


def say(event, **fields):
    print(json.dumps({"event": event, **fields}), flush=True)


def text(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def check(answer, what):
    """imaplib returns (type, data); anything but OK stops the run with what the server said."""
    typ, data = answer
    if typ != "OK":
        raise RuntimeError(f"{what}: {typ} {[text(d) for d in data]}")
    return data


def tls_context(ca):
    # The world's development CA only, and the server's name checked (its certificate names 127.0.0.1).
    context = ssl.create_default_context(cafile=ca)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def parse_fetch(data):
    """
    The items of an imaplib FETCH answer: a literal comes as (prefix, bytes) and the rest of the
    response as the next plain element, so the attributes are read from both around it.
    """
    messages = []
    i = 0
    while i < len(data):
        item = data[i]
        if isinstance(item, tuple):
            head, body = item
            tail = data[i + 1] if i + 1 < len(data) and isinstance(data[i + 1], bytes) else b""
            i += 2 if tail else 1
        elif item is None or item == b")":
            i += 1
            continue
        else:
            head, body, tail = item, None, b""
            i += 1
        attrs = text(head) + " " + text(tail)
        uid = re.search(r"\bUID (\d+)", attrs)
        size = re.search(r"\bRFC822\.SIZE (\d+)", attrs)
        flags = re.search(r"\bFLAGS \(([^)]*)\)", attrs)
        modseq = re.search(r"\bMODSEQ \((\d+)\)", attrs)
        messages.append(
            {
                "uid": int(uid.group(1)) if uid else None,
                "size": int(size.group(1)) if size else None,
                "flags": flags.group(1).split() if flags else None,
                "modseq": int(modseq.group(1)) if modseq else None,
                "body": body,
            }
        )
    return messages


def list_folders(conn):
    folders = []
    for line in check(conn.list(), "LIST"):
        found = re.match(rb'\((?P<attrs>[^)]*)\) (?:"(?P<delim>[^"]*)"|NIL) (?P<name>.+)$', line)
        if found:
            name = found.group("name").decode()
            folders.append({"name": name.strip('"'), "attributes": found.group("attrs").decode().split()})
    return folders


def flags_of(conn, uid):
    [message] = parse_fetch(check(conn.uid("FETCH", str(uid), "(UID FLAGS)"), "UID FETCH FLAGS"))
    return message["flags"]


def idle_until_exists(conn, seconds):
    """IDLE (RFC 2177) by hand, as imaplib before Python 3.14 has no idle(): wait for EXISTS, then DONE."""
    tag = conn._new_tag()
    conn.send(tag + b" IDLE\r\n")
    first = conn.readline()
    if not first.startswith(b"+"):
        raise RuntimeError(f"IDLE refused: {text(first)}")
    say("idling")
    conn.sock.settimeout(seconds)
    heard = []
    try:
        while True:
            line = conn.readline().rstrip(b"\r\n")
            heard.append(text(line))
            if re.match(rb"^\* \d+ EXISTS$", line):
                break
    except (socket.timeout, TimeoutError):
        heard.append("(timeout)")
    conn.sock.settimeout(None)
    conn.send(b"DONE\r\n")
    while True:
        line = conn.readline().rstrip(b"\r\n")
        if line.startswith(tag + b" "):
            done = text(line)
            break
        heard.append(text(line))
    return {"heard": heard, "done": done}


def imaps_session(cfg, out):
    """The first sync: IMAPS, everything a client does to fill and then keep its cache."""
    report = {}
    conn = imaplib.IMAP4_SSL(cfg["host"], cfg["imaps"], ssl_context=tls_context(cfg["ca"]))
    report["tls"] = conn.sock.version()
    report["greetingCapabilities"] = sorted(conn.capabilities)
    report["login"] = text(check(conn.login(cfg["user"], cfg["password"]), "LOGIN")[0])
    report["folders"] = list_folders(conn)

    data = check(conn.select("INBOX"), "SELECT INBOX")
    report["exists"] = int(data[0])
    report["uidValidity"] = int(conn.untagged_responses.get("UIDVALIDITY", [b"0"])[0])
    uids = [int(u) for u in check(conn.uid("SEARCH", None, "ALL"), "UID SEARCH ALL")[0].split()]
    report["searchAll"] = uids

    fetched = parse_fetch(check(conn.uid("FETCH", "1:*", "(UID FLAGS RFC822.SIZE BODY.PEEK[])"), "UID FETCH 1:*"))
    report["fetched"] = []
    for m in fetched:
        with open(os.path.join(out, f"inbox-{m['uid']}.eml"), "wb") as f:
            f.write(m["body"])
        report["fetched"].append({"uid": m["uid"], "size": m["size"], "flags": m["flags"], "bytes": len(m["body"])})

    # BODY.PEEK left every message unread; STORE marks the first one read.
    report["flagsAfterPeek"] = {str(u): flags_of(conn, u) for u in uids}
    first = uids[0]
    report["store"] = [text(d) for d in check(conn.uid("STORE", str(first), "+FLAGS", "(\\Seen)"), "UID STORE")]
    report["flagsAfterStore"] = flags_of(conn, first)
    report["seenSearch"] = [int(u) for u in check(conn.uid("SEARCH", None, "SEEN"), "UID SEARCH SEEN")[0].split()]

    # APPEND a sent message, as a client keeps its copy in Sent (imaplib sends it with CRLF).
    with open(cfg["append"], "rb") as f:
        appended = f.read()
    typ, data = conn.append("Sent", "(\\Seen)", imaplib.Time2Internaldate(time.time()), appended)
    report["append"] = {"type": typ, "answer": [text(d) for d in data]}

    # Delete one message: \Deleted, then EXPUNGE, which says the sequence number that went away.
    gone = cfg["expunge"]
    check(conn.uid("STORE", str(gone), "+FLAGS.SILENT", "(\\Deleted)"), "UID STORE \\Deleted")
    typ, data = conn.expunge()
    report["expunge"] = {"type": typ, "sequence": [text(d) for d in data if d is not None]}
    report["afterExpunge"] = [int(u) for u in check(conn.uid("SEARCH", None, "ALL"), "UID SEARCH ALL")[0].split()]

    # IDLE: the test delivers a message by SMTP once told we are idling.
    report["idle"] = idle_until_exists(conn, cfg.get("idleSeconds", 20))
    [pushed] = parse_fetch(check(conn.uid("FETCH", f"{max(report['afterExpunge']) + 1}:*", "(UID RFC822.SIZE BODY.PEEK[])"), "UID FETCH new"))
    with open(os.path.join(out, f"pushed-{pushed['uid']}.eml"), "wb") as f:
        f.write(pushed["body"])
    report["pushed"] = {"uid": pushed["uid"], "size": pushed["size"]}
    report["logout"] = conn.logout()[0]
    return report


def starttls_session(cfg):
    """The second sync: the plain port, STARTTLS first (login in clear is refused), then a check of the cache."""
    report = {}
    conn = imaplib.IMAP4(cfg["host"], cfg["imap"])
    report["plainCapabilities"] = sorted(conn.capabilities)
    try:
        conn.login(cfg["user"], cfg["password"])
        report["clearLogin"] = "accepted"
    except imaplib.IMAP4.error as e:
        report["clearLogin"] = str(e)
    report["starttls"] = text(check(conn.starttls(ssl_context=tls_context(cfg["ca"])), "STARTTLS")[0])
    report["tls"] = conn.sock.version()
    report["tlsCapabilities"] = sorted(conn.capabilities)
    check(conn.login(cfg["user"], cfg["password"]), "LOGIN")
    report["folders"] = list_folders(conn)
    report["status"] = text(check(conn.status("INBOX", "(MESSAGES UIDNEXT UNSEEN)"), "STATUS")[0])
    check(conn.select("INBOX", readonly=True), "EXAMINE INBOX")
    fetched = parse_fetch(check(conn.uid("FETCH", "1:*", "(UID RFC822.SIZE BODY.PEEK[])"), "UID FETCH 1:*"))
    report["digests"] = {str(m["uid"]): hashlib.sha256(m["body"]).hexdigest() for m in fetched}
    report["sizes"] = {str(m["uid"]): m["size"] for m in fetched}
    check(conn.select("Sent", readonly=True), "EXAMINE Sent")
    sent = parse_fetch(check(conn.uid("FETCH", "1:*", "(UID FLAGS BODY.PEEK[])"), "UID FETCH Sent"))
    report["sent"] = [{"uid": m["uid"], "flags": m["flags"], "sha256": hashlib.sha256(m["body"]).hexdigest()} for m in sent]
    report["logout"] = conn.logout()[0]
    return report


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        cfg = json.load(f)
    out = cfg["out"]
    os.makedirs(out, exist_ok=True)
    try:
        say("report", imaps=imaps_session(cfg, out), starttls=starttls_session(cfg))
    except Exception as e:  # the test prints it: the step and the server's answer
        say("error", error=f"{type(e).__name__}: {e}")
        sys.exit(1)


if __name__ == "__main__":
    main()
