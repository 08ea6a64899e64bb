/**
 * What Thunderbird does with a new account, against the real server. First its own command
 * lines, as its IMAP log shows them (lower-case verbs, `list (SPECIAL-USE)`, `select … (CONDSTORE)`,
 * header fetches, chunked `BODY.PEEK[]<0.65536>` and parts on demand); then, with imapflow, the
 * life of an open account: IDLE hearing an SMTP delivery and another session's flags, MOVE to
 * Trash, APPEND to Sent with APPENDUID, and a reconnect with QRESYNC after changes made while
 * it was away.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fsBlobStore } from '../../src/store/fs/blobs.js';
import { openStore } from '../../src/store/open.js';
import type { StoredMessage } from '../../src/store/types.js';
import { ROOT } from '../helpers/cli.js';
import { RawImap } from '../helpers/raw-imap.js';
import { waitFor } from '../helpers/wait.js';
import { COLLEAGUE, DOCTOR, PASSWORD, startWorld, trySend, type World } from '../helpers/world.js';

const XDM = readFileSync(path.join(ROOT, 'fixtures/documents/cr-v1.zip'));
/** a scan big enough for Thunderbird to fetch it in chunks and its parts on demand */
const SCAN = Buffer.alloc(300 * 1024, 'scan ');
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

let world: World;
const open: Array<ImapFlow | RawImap> = [];

beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  for (const c of open) c.close();
  await world?.stop();
});

async function deliver(mail: Parameters<typeof trySend>[1]): Promise<void> {
  const sent = await trySend(world.session(COLLEAGUE), { from: COLLEAGUE, to: DOCTOR, ...mail });
  expect(sent.ok, sent.response).toBe(true);
}

async function stored(folder: string): Promise<Array<{ message: StoredMessage; bytes: Buffer }>> {
  const store = openStore(world.box.dataDir);
  const blobs = fsBlobStore(world.box.dataDir);
  try {
    const messages = (await store.messages.list(DOCTOR, folder)).sort((a, b) => a.uid - b.uid);
    return await Promise.all(messages.map(async (message) => ({ message, bytes: await blobs.read(message.blobId) })));
  } finally {
    await store.close();
  }
}

/**
 * The untagged part of an answer as the bytes that came (latin1): RawImap keeps the first literal
 * of a response in its line and cuts the rest at line ends, which CRLF joins back.
 */
const untaggedText = (lines: string[]): string => lines.slice(0, -1).join('\r\n');

/** the string (literal or quoted) that follows `item` in a response */
function literalAfter(line: string, item: string): Buffer {
  const at = line.indexOf(`${item} `);
  if (at < 0) throw new Error(`no ${item} in ${line.slice(0, 200)}`);
  const rest = line.slice(at + item.length + 1);
  const literal = /^\{(\d+)\}\r\n/.exec(rest);
  if (literal) return Buffer.from(rest.slice(literal[0].length, literal[0].length + Number(literal[1])), 'latin1');
  const quoted = /^"((?:[^"\\]|\\.)*)"/.exec(rest);
  if (quoted) return Buffer.from(quoted[1]!.replace(/\\(.)/g, '$1'), 'latin1');
  throw new Error(`${item} is neither a literal nor a quoted string: ${rest.slice(0, 80)}`);
}

/** imapflow as Thunderbird is set up: the account's address and password, nothing else */
function thunderbird(options: { qresync?: boolean; loginMethod?: string; log?: string[] } = {}): ImapFlow {
  const record = (entry: { src?: string; msg?: string }) => {
    if (entry.src === 'c' && entry.msg) options.log?.push(entry.msg);
  };
  const logger = { debug: record, info: record, warn: record, error: record, trace: () => undefined };
  const client = new ImapFlow({
    host: '127.0.0.1',
    port: world.server.ports.imaps,
    secure: true,
    tls: { ca: world.ca, servername: 'localhost' } as never,
    auth: { user: DOCTOR, pass: PASSWORD, ...(options.loginMethod ? { loginMethod: options.loginMethod } : {}) },
    clientInfo: { name: 'Thunderbird', version: '128.3.1' },
    qresync: options.qresync ?? false,
    logger: options.log ? (logger as never) : false,
  });
  open.push(client);
  return client;
}

describe('a new Thunderbird account, command by command', () => {
  it('logs in, lists, selects with CONDSTORE, syncs flags and headers, reads chunks and parts', async () => {
    await deliver({ subject: 'Compte rendu opératoire', text: 'Voir le CDA joint.', attachments: [{ filename: 'IHE_XDM.ZIP', content: XDM, contentType: 'application/zip' }] });
    await deliver({ subject: 'Convocation — été', text: 'Texte : rendez-vous lundi.', html: '<p>Rendez-vous <b>lundi</b>.</p>' });
    await deliver({ subject: 'Scanner', text: 'Images jointes.', attachments: [{ filename: 'scan.pdf', content: SCAN, contentType: 'application/pdf' }] });
    const inbox = await stored('INBOX');
    expect(inbox).toHaveLength(3);
    const [xdm, alternative, scan] = inbox;

    const tb = await RawImap.connect({ port: world.server.ports.imaps, tls: true, ca: world.ca });
    open.push(tb);
    expect(await tb.line()).toMatch(/^\* OK \[CAPABILITY IMAP4rev1 /);
    const caps = await tb.command('1', 'capability');
    expect(caps.at(-1)).toMatch(/^1 OK/);
    for (const c of ['IDLE', 'SASL-IR', 'AUTH=PLAIN', 'ID', 'NAMESPACE', 'SPECIAL-USE', 'CONDSTORE', 'MOVE', 'UIDPLUS', 'LITERAL+']) expect(caps[0]!.split(' '), c).toContain(c);
    // SASL-IR: the credentials ride on the command line
    expect((await tb.command('2', `authenticate PLAIN ${b64(`\0${DOCTOR}\0${PASSWORD}`)}`)).at(-1)).toMatch(/^2 OK \[CAPABILITY /);
    const id = await tb.command('3', 'ID ("name" "Thunderbird" "version" "128.3.1")');
    expect(id[0]).toMatch(/^\* ID \("name" "mss-gateway"/);
    expect((await tb.command('4', 'namespace'))[0]).toBe('* NAMESPACE (("" "/")) NIL NIL');
    const lsub = await tb.command('5', 'Lsub "" "*"');
    expect(lsub.at(-1)).toMatch(/^5 OK/);
    expect(lsub.slice(0, -1).map((l) => l.replace(/"/g, '')).sort()).toEqual(['Drafts', 'INBOX', 'Sent', 'Trash'].map((f) => `* LSUB () / ${f}`));
    // RFC 6154 §3: the SPECIAL-USE selection option lists only the folders that have one
    const special = await tb.command('6', 'list (SPECIAL-USE) "" "*"');
    expect(special.at(-1)).toMatch(/^6 OK/);
    const uses = Object.fromEntries(special.slice(0, -1).map((l) => [/ "\/" "?([^"]+)"?$/.exec(l)![1], /\((.*?)\)/.exec(l)![1]]));
    expect(Object.keys(uses).sort()).toEqual(['Drafts', 'Sent', 'Trash']);
    expect(uses.Sent).toMatch(/\\Sent/);
    expect(uses.Trash).toMatch(/\\Trash/);
    expect(uses.Drafts).toMatch(/\\Drafts/);
    const all = await tb.command('6b', 'list "" "*"');
    expect(all.slice(0, -1).map((l) => / "\/" "?([^"]+)"?$/.exec(l)![1]).sort()).toEqual(['Drafts', 'INBOX', 'Sent', 'Trash']);

    const select = await tb.command('7', 'select "INBOX" (CONDSTORE)');
    expect(select.at(-1)).toMatch(/^7 OK \[READ-WRITE\]/);
    expect(select).toContain('* 3 EXISTS');
    const highest = Number(/HIGHESTMODSEQ (\d+)/.exec(select.join('\n'))![1]);
    expect(highest).toBeGreaterThan(0);
    expect(select.join('\n')).toMatch(/OK \[UIDVALIDITY \d+\]/);
    expect(select.join('\n')).toMatch(new RegExp(`OK \\[UIDNEXT ${scan!.message.uid + 1}\\]`));
    expect(select.join('\n')).toMatch(/OK \[UNSEEN 1\]/);

    // the flags of everything, then the headers the message list shows
    const flags = await tb.command('8', 'UID fetch 1:* (FLAGS)');
    expect(flags.at(-1)).toMatch(/^8 OK/);
    expect(flags.slice(0, -1)).toEqual(inbox.map((s, i) => `* ${i + 1} FETCH (UID ${s.message.uid} FLAGS (\\Recent))`));
    // the cheap form once it knows a MODSEQ: only what changed since, each with its MODSEQ
    const since = await tb.command('8b', `UID fetch 1:* (FLAGS) (CHANGEDSINCE ${highest - 1})`);
    expect(since.at(-1)).toMatch(/^8b OK/);
    expect(since.slice(0, -1)).toEqual([expect.stringMatching(new RegExp(`^\\* 3 FETCH \\(UID ${scan!.message.uid} FLAGS \\(\\\\Recent\\) MODSEQ \\(${highest}\\)\\)$`))]);
    const fields = 'From To Cc Bcc Subject Date Message-ID Priority X-Priority References Newsgroups In-Reply-To Content-Type Reply-To';
    const headers = await tb.command('9', `UID fetch 1:* (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (${fields})])`);
    expect(headers.at(-1)).toMatch(/^9 OK/);
    for (const [i, s] of inbox.entries()) {
      const line = headers[i]!;
      expect(line).toMatch(new RegExp(`RFC822\\.SIZE ${s.message.size}\\b`));
      const got = literalAfter(line, `BODY[HEADER.FIELDS (${fields.toUpperCase()})]`).toString('latin1');
      expect(got).toMatch(/^From: dr\.wilson@/m);
      expect(got).toMatch(/^Subject: /m);
      expect(got).toMatch(/^Content-Type: multipart\/(mixed|alternative)/m);
      expect(got).not.toMatch(/^Received:/m);
      expect(got.endsWith('\r\n\r\n')).toBe(true);
    }

    // a small message is fetched whole; a big one by chunks of 64 KiB, which put back together are the message
    const whole = await tb.command('10', `UID fetch ${alternative!.message.uid} (UID RFC822.SIZE BODY.PEEK[])`);
    expect(literalAfter(whole[0]!, 'BODY[]').equals(alternative!.bytes)).toBe(true);
    const chunks: Buffer[] = [];
    for (let start = 0; start < scan!.bytes.length; start += 65536) {
      const answer = await tb.command(`11.${start}`, `UID fetch ${scan!.message.uid} (UID RFC822.SIZE BODY.PEEK[]<${start}.65536>)`);
      expect(answer.at(-1)).toMatch(/ OK/);
      chunks.push(literalAfter(answer[0]!, `BODY[]<${start}>`));
    }
    expect(chunks.length).toBeGreaterThan(4);
    expect(Buffer.concat(chunks).equals(scan!.bytes)).toBe(true);

    // parts on demand: BODYSTRUCTURE, then the header and the text part alone
    const structure = await tb.command('12', `UID fetch ${xdm!.message.uid} (UID RFC822.SIZE BODYSTRUCTURE)`);
    const shape = /BODYSTRUCTURE \(\("text" "plain" \("charset" "utf-8"\) NIL NIL "7bit" \d+ \d+ NIL NIL NIL NIL\)\("application" "zip" \("name" "IHE_XDM.ZIP"\) NIL NIL "base64" (\d+) NIL \("attachment" \("filename" "IHE_XDM.ZIP"\)\) NIL NIL\) "mixed" \("boundary" "[^"]+"\) NIL NIL NIL\)\)$/i;
    expect(structure[0]).toMatch(shape);
    const zipSize = Number(shape.exec(structure[0]!)![1]);
    const parts = await tb.command('13', `UID fetch ${xdm!.message.uid} (UID RFC822.SIZE BODY.PEEK[HEADER] BODY.PEEK[1.MIME] BODY.PEEK[1])`);
    const answer = untaggedText(parts);
    const text = xdm!.bytes.toString('latin1');
    const header = literalAfter(answer, 'BODY[HEADER]').toString('latin1');
    expect(text.startsWith(header)).toBe(true);
    expect(header.endsWith('\r\n\r\n')).toBe(true);
    const mime = literalAfter(answer, 'BODY[1.MIME]').toString('latin1');
    const body = literalAfter(answer, 'BODY[1]').toString('latin1');
    expect(mime).toMatch(/^Content-Type: text\/plain; charset=utf-8\r\n/);
    expect(mime.endsWith('\r\n\r\n')).toBe(true);
    // the part's MIME header and its body are those bytes of the message, one after the other
    expect(text).toContain(mime + body);
    expect(body).toMatch(/^Voir le CDA joint\./);
    // the attachment part, decoded, is the XDM sent
    const attachment = literalAfter((await tb.command('14', `UID fetch ${xdm!.message.uid} (BODY.PEEK[2])`))[0]!, 'BODY[2]');
    expect(attachment.length).toBe(zipSize);
    expect(Buffer.from(attachment.toString('latin1'), 'base64').equals(XDM)).toBe(true);
    // none of this marked anything read
    expect((await tb.command('15', 'UID fetch 1:* (FLAGS)')).slice(0, -1).every((l) => !l.includes('\\Seen'))).toBe(true);

    // reading a message marks it read; then IDLE
    // under CONDSTORE the answer of a STORE carries the UID and the new MODSEQ (RFC 7162 §3.1)
    const stored1 = (await tb.command('16', `UID store ${xdm!.message.uid} +Flags (\\Seen)`))[0]!;
    expect(stored1).toMatch(/FLAGS \(\\Seen \\Recent\)/);
    expect(stored1).toMatch(new RegExp(`UID ${xdm!.message.uid}\\b`));
    expect(Number(/MODSEQ \((\d+)\)/.exec(stored1)?.[1])).toBeGreaterThan(highest);
    tb.write('17 IDLE\r\n');
    expect(await tb.line()).toMatch(/^\+ /);
    await deliver({ subject: 'Pendant IDLE', text: 'Nouveau.' });
    expect(await tb.line()).toBe('* 4 EXISTS');
    tb.write('DONE\r\n');
    expect((await tb.until('17')).at(-1)).toMatch(/^17 OK/);
    const fresh = await tb.command('18', `UID fetch ${scan!.message.uid + 1}:* (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From Subject)])`);
    expect(fresh[0]).toMatch(/Subject: Pendant IDLE/);
    expect((await tb.command('19', 'logout'))[0]).toMatch(/^\* BYE/);
  });
});

describe('an open Thunderbird account, with imapflow', () => {
  let validity: bigint;
  let modseq: bigint;
  let known: number[];

  it('logs in with AUTHENTICATE PLAIN or LOGIN, sends ID, reads NAMESPACE and the folders with SPECIAL-USE and LSUB', async () => {
    for (const loginMethod of ['AUTH=PLAIN', 'LOGIN']) {
      const log: string[] = [];
      const client = thunderbird({ loginMethod, log });
      await client.connect();
      expect(client.serverInfo?.name).toBe('mss-gateway');
      expect(client.namespaces?.personal?.[0]).toMatchObject({ prefix: '', delimiter: '/' });
      const folders = await client.list();
      const use = Object.fromEntries(folders.map((f) => [f.path, f.specialUse]));
      expect(use).toEqual({ INBOX: '\\Inbox', Sent: '\\Sent', Drafts: '\\Drafts', Trash: '\\Trash' });
      expect(folders.every((f) => f.subscribed)).toBe(true);
      // the roles come from the server's attributes, not from imapflow guessing by name
      expect(folders.filter((f) => f.path !== 'INBOX').map((f) => f.specialUseSource)).toEqual(['extension', 'extension', 'extension']);
      await client.logout();
      const verbs = log.map((l) => l.split(' ')[1]);
      expect(verbs).toEqual(expect.arrayContaining([loginMethod === 'LOGIN' ? 'LOGIN' : 'AUTHENTICATE', 'ID', 'LIST', 'LSUB']));
    }
  });

  it('hears an SMTP delivery and another session’s flags while idling, moves to Trash, saves to Sent', async () => {
    const log: string[] = [];
    const tb = thunderbird({ log });
    await tb.connect();
    const box = await tb.mailboxOpen('INBOX');
    const before = await stored('INBOX');
    expect(box.exists).toBe(before.length);
    const exists: number[] = [];
    const flags: Array<{ uid?: number; flags: Set<string> }> = [];
    tb.on('exists', (e: { count: number }) => exists.push(e.count));
    tb.on('flags', (e: { uid?: number; flags: Set<string> }) => flags.push(e));
    // imapflow idles by itself once nothing is running, as Thunderbird does
    // Thunderbird idles as soon as the folder is in sync (imapflow would wait 15 s by itself)
    void tb.idle();
    await waitFor('the client to idle', () => tb.idling);

    await deliver({ subject: 'Résultat urgent', text: 'Potassium élevé.' });
    await waitFor('EXISTS to be pushed', () => exists.includes(before.length + 1), { lastSeen: () => exists });

    const other = thunderbird();
    await other.connect();
    await other.mailboxOpen('INBOX');
    const target = before[0]!.message.uid;
    await other.messageFlagsAdd(String(target), ['\\Flagged', '$label1'], { uid: true });
    await waitFor('the flag change to be pushed', () => flags.find((f) => f.uid === target && f.flags.has('\\Flagged') && f.flags.has('$label1')), { lastSeen: () => flags });
    await other.logout();

    // MOVE (RFC 6851), not COPY + EXPUNGE; the UIDs in Trash come back with COPYUID
    const fresh = (await stored('INBOX')).at(-1)!;
    const moved = await tb.messageMove(String(fresh.message.uid), 'Trash', { uid: true });
    expect(moved && moved.uidMap?.get(fresh.message.uid)).toBeGreaterThan(0);
    expect(log.filter((l) => / UID (MOVE|COPY|EXPUNGE) /.test(l))).toEqual([expect.stringMatching(new RegExp(`^\\d+ UID MOVE ${fresh.message.uid} Trash$`))]);
    const trash = await stored('Trash');
    expect(trash.map((s) => s.message.uid)).toEqual([moved && moved.uidMap!.get(fresh.message.uid)]);
    expect(trash[0]!.bytes.equals(fresh.bytes)).toBe(true);
    expect((await stored('INBOX')).map((s) => s.message.uid)).not.toContain(fresh.message.uid);

    // a sent message is saved with APPEND; APPENDUID names it in Sent
    const sent = Buffer.from(`From: ${DOCTOR}\r\nTo: ${COLLEAGUE}\r\nSubject: Re: Résultat urgent\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nJe rappelle le patient.\r\n`);
    const appended = await tb.append('Sent', sent, ['\\Seen']);
    expect(appended).toMatchObject({ destination: 'Sent' });
    const inSent = await stored('Sent');
    const copy = inSent.find((s) => s.message.uid === (appended && appended.uid))!;
    expect(copy.bytes.equals(sent)).toBe(true);
    const status = await tb.status('Sent', { uidValidity: true });
    expect(appended && BigInt(appended.uidValidity!)).toBe(status && status.uidValidity);

    // what the client keeps to resync later: the folder's state as its last SELECT told it
    await tb.mailboxClose();
    const reopened = await tb.mailboxOpen('INBOX');
    validity = reopened.uidValidity;
    modseq = reopened.highestModseq!;
    known = (await stored('INBOX')).map((s) => s.message.uid);
    expect(modseq).toBeGreaterThan(0n);
    await tb.logout();
  });

  it('reconnects with QRESYNC and learns, without refetching, what changed while it was away', async () => {
    expect(known.length).toBeGreaterThanOrEqual(3);
    // while it is away: another device reads one, deletes one, and new mail comes
    const away = thunderbird();
    await away.connect();
    await away.mailboxOpen('INBOX');
    // one still unread (so that reading it is a change), and another one
    const unread = (await stored('INBOX')).filter((s) => known.includes(s.message.uid) && !s.message.flags.includes('\\Seen'));
    const read = unread[0]!.message.uid;
    const deleted = known.find((uid) => uid !== read)!;
    await away.messageFlagsAdd(String(read), ['\\Seen'], { uid: true });
    await away.messageDelete(String(deleted), { uid: true });
    await away.logout();
    await deliver({ subject: 'Arrivé en son absence', text: 'Bonjour.' });
    const now = await stored('INBOX');
    const arrived = now.at(-1)!;

    const log: string[] = [];
    const tb = thunderbird({ qresync: true, log });
    const vanished: number[] = [];
    const changed: Array<{ uid?: number; flags: Set<string> }> = [];
    tb.on('expunge', (e: { uid?: number; vanished?: boolean }) => e.vanished && e.uid && vanished.push(e.uid));
    tb.on('flags', (e: { uid?: number; flags: Set<string> }) => changed.push(e));
    await tb.connect();
    expect(tb.enabled.has('QRESYNC')).toBe(true);
    const box = await tb.mailboxOpen('INBOX', { uidValidity: validity, changedSince: modseq } as never);
    expect(log.find((l) => / SELECT /.test(l))).toMatch(new RegExp(`QRESYNC \\(${validity} ${modseq}\\)`));
    expect(vanished).toEqual([deleted]);
    // RFC 7162 §3.2.5.2: a FETCH for every message changed since, the new one included
    expect(changed.map((c) => c.uid)).toEqual([read, arrived.message.uid]);
    expect(changed[0]!.flags.has('\\Seen')).toBe(true);
    expect(box.exists).toBe(now.length);
    // the new message is the one thing left to fetch: CHANGEDSINCE finds it (and the read one)
    const since = await tb.fetchAll('1:*', { uid: true, flags: true }, { uid: true, changedSince: modseq });
    expect(since.map((m) => m.uid).sort((a, b) => a - b)).toEqual([read, arrived.message.uid]);
    const source = await tb.fetchOne(String(arrived.message.uid), { source: true }, { uid: true });
    expect(source && source.source!.equals(arrived.bytes)).toBe(true);
    const latest = (tb.mailbox as { highestModseq: bigint }).highestModseq;
    await tb.logout();

    // resynchronising again from the newest MODSEQ: nothing to say
    const again = thunderbird({ qresync: true });
    const quiet: unknown[] = [];
    again.on('expunge', (e) => quiet.push(e));
    again.on('flags', (e) => quiet.push(e));
    await again.connect();
    await again.mailboxOpen('INBOX', { uidValidity: validity, changedSince: latest } as never);
    expect(quiet).toEqual([]);
    await again.logout();
  });
});
