/**
 * FETCH and STORE through the real server: imapflow for what a client does (every fetch item,
 * flags and keywords, CHANGEDSINCE), a raw TLS socket where the exact bytes matter (BODY[] and
 * BODYSTRUCTURE as delivered, partials, the \Seen that BODY[] sets and PEEK does not, .SILENT,
 * UNCHANGEDSINCE and [MODIFIED], VANISHED (EARLIER)). The corpus is fixtures/imap, appended
 * as a client would.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ImapFlow, type FetchMessageObject, type FetchQueryObject } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { structure } from '../../src/imap/fetch/bodystructure.js';
import { envelopeOut } from '../../src/imap/fetch/envelope.js';
import { toCrlf } from '../../src/mime/crlf.js';
import { indexMessage } from '../../src/mime/indexer.js';
import { ImapText } from '../helpers/imap-text.js';
import { DOCTOR, PASSWORD, startWorld, type World } from '../helpers/world.js';
import { render } from '../unit/imap/render-out.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/imap');
const NAMES = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.eml'))
  .map((f) => f.slice(0, -4))
  .sort();
/** what the server stores for a fixture: its bytes with line ends made CRLF, as any ingest does */
const stored = (name: string): Buffer => toCrlf(readFileSync(path.join(FIXTURES, `${name}.eml`)));
const INTERNAL_DATE = new Date('2025-12-02T08:05:09Z');

let world: World;
const closers: Array<() => Promise<unknown>> = [];
/** fixture name → UID in INBOX */
const uid: Record<string, number> = {};
let bigUid = 0;
let big: Buffer;

/** A bare IMAPS session, logged in: answers read as the exact text the server wrote. */
async function openRaw(): Promise<ImapText> {
  const raw = await ImapText.connect(world.server.ports.imaps, world.ca);
  closers.push(() => raw.close());
  expect((await raw.command(`LOGIN "${DOCTOR}" "${PASSWORD}"`)).tagged).toMatch(/^OK/);
  return raw;
}

async function imapflow(options: { qresync?: boolean } = {}): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: '127.0.0.1',
    port: world.server.ports.imaps,
    secure: true,
    tls: { ca: world.ca, servername: 'localhost' },
    auth: { user: DOCTOR, pass: PASSWORD },
    logger: false,
    qresync: options.qresync ?? false,
  });
  await client.connect();
  closers.push(() => client.logout().catch(() => client.close()));
  return client;
}

/** One message by UID, as imapflow answers it (false when the server sent nothing). */
async function one(client: ImapFlow, u: number | string, query: FetchQueryObject): Promise<FetchMessageObject> {
  const m = await client.fetchOne(String(u), query, { uid: true });
  if (!m) throw new Error(`no FETCH answer for UID ${u}`);
  return m;
}

/** A message of several megabytes: a base64 body far over the streaming threshold. */
const BIG_LINE = `${'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo'.repeat(3).slice(0, 76)}\r\n`;
function bigMessage(): Buffer {
  const line = BIG_LINE;
  return Buffer.concat([
    Buffer.from(`From: ${DOCTOR}\r\nSubject: gros\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nvoir PJ\r\n--B\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n`),
    Buffer.from(line.repeat(40_000)),
    Buffer.from('--B--\r\n'),
  ]);
}

beforeAll(async () => {
  world = await startWorld();
  const client = await imapflow();
  for (const name of NAMES) {
    const appended = await client.append('INBOX', readFileSync(path.join(FIXTURES, `${name}.eml`)), [], INTERNAL_DATE);
    if (!appended || !appended.uid) throw new Error(`APPEND of ${name} failed`);
    uid[name] = appended.uid;
  }
  big = bigMessage();
  const appended = await client.append('INBOX', big, ['\\Seen']);
  if (!appended || !appended.uid) throw new Error('APPEND of the big message failed');
  bigUid = appended.uid;
}, 120_000);

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  await world?.stop();
});

describe('IMAP FETCH', () => {
  it('gives a client every item: UID, FLAGS, sizes, INTERNALDATE, ENVELOPE, BODYSTRUCTURE, headers, parts, the source', async () => {
    const client = await imapflow();
    const lock = await client.getMailboxLock('INBOX', { readOnly: true });
    try {
      const raw = stored('nested-rfc822');
      const m = await one(client, uid['nested-rfc822']!, {
        uid: true,
        flags: true,
        size: true,
        internalDate: true,
        envelope: true,
        bodyStructure: true,
        source: true,
        headers: ['subject'],
        bodyParts: ['2.1', '2.header', '3.1'],
      });
      expect(m.uid).toBe(uid['nested-rfc822']);
      // New to this mailbox: \Recent, nothing else.
      expect([...(m.flags ?? [])]).toEqual(['\\Recent']);
      expect(m.size).toBe(raw.length);
      expect((m.internalDate as Date).getTime()).toBe(INTERNAL_DATE.getTime());
      expect(m.source!.equals(raw)).toBe(true);
      expect(m.envelope!.subject).toBe('Fwd: deux messages');
      expect(m.envelope!.from![0]).toMatchObject({ name: 'Dr House', address: 'dr.house@hopital.mssante.fr' });
      expect(m.envelope!.inReplyTo).toBe('<orig-0@ch-lyon.mssante.fr>');
      expect(m.headers!.toString()).toBe('Subject: Fwd: deux messages\r\n\r\n');
      expect(m.bodyParts!.get('2.1')!.toString()).toBe('Resultats normaux.');
      expect(m.bodyParts!.get('2.header')!.toString()).toMatch(/^Date: Mon, 01 Dec 2025 18:00:00 \+0100\r\n[\s\S]*boundary=alt\r\n\r\n$/);
      expect(m.bodyParts!.get('3.1')!.toString()).toBe('Bonjour docteur,\r\nmerci.');
      const s = m.bodyStructure!;
      expect(s.type).toBe('multipart/mixed');
      expect(s.childNodes!.map((n) => n.type)).toEqual(['text/plain', 'message/rfc822', 'message/rfc822']);
      expect(s.childNodes![1]!.envelope!.subject).toBe('Resultats');
      expect(s.childNodes![1]!.childNodes![0]!.childNodes!.map((n) => [n.part, n.type, n.size])).toEqual([
        ['2.1', 'text/plain', 18],
        ['2.2', 'text/html', 25],
      ]);
      expect(s.childNodes![1]!.lineCount).toBe(20);
      // The decoded attachment name of an RFC 2231 parameter, as a client shows it.
      const pdf = (await one(client, uid.rfc2231!, { bodyStructure: true })).bodyStructure!.childNodes![1]!;
      expect(pdf.parameters).toEqual({ name: 'compte rendu été.pdf' });
      expect(pdf.dispositionParameters).toMatchObject({ filename: 'résultat.pdf', size: '5' });
    } finally {
      lock.release();
    }
  });

  it('answers BODY[] byte for byte as delivered, and BODYSTRUCTURE, BODY and ENVELOPE as the index says, for every fixture', async () => {
    const raw = await openRaw();
    expect((await raw.command('EXAMINE INBOX')).tagged).toMatch(/^OK/);
    for (const name of NAMES) {
      const bytes = stored(name);
      const index = indexMessage(bytes);
      const { text: untagged, tagged } = await raw.command(`UID FETCH ${uid[name]} (BODYSTRUCTURE BODY ENVELOPE BODY.PEEK[])`);
      expect(tagged, name).toMatch(/^OK/);
      const expected =
        `UID ${uid[name]} BODYSTRUCTURE ${await render(structure(index.root, true))} BODY ${await render(structure(index.root, false))}` +
        ` ENVELOPE ${await render(envelopeOut(index.envelope))} BODY[] {${bytes.length}}\r\n${bytes.toString('latin1')})\r\n`;
      expect(untagged, name).toMatch(/^\* \d+ FETCH \(/);
      expect(untagged.replace(/^\* \d+ FETCH \(/, ''), name).toBe(expected);
    }
  });

  it('puts a multipart’s parts back to back on the wire, as RFC 3501’s grammar writes them', async () => {
    const raw = await openRaw();
    await raw.command('EXAMINE INBOX');
    const { text: untagged } = await raw.command(`UID FETCH ${uid['alternative-related']} BODYSTRUCTURE`);
    expect(untagged).toContain(
      'BODYSTRUCTURE (("text" "plain" ("charset" "iso-8859-1") NIL NIL "quoted-printable" 21 1 NIL NIL NIL NIL)' +
        '(("text" "html" ("charset" "utf-8") NIL NIL "7bit" 48 1 NIL NIL NIL NIL)' +
        '("image" "png" ("name" "logo.png") "<logo@h>" NIL "base64" 12 NIL ("inline" ("filename" "logo.png")) NIL NIL)' +
        ' "related" ("boundary" "=_rel_" "type" "text/html") NIL NIL NIL) "alternative" ("boundary" "=_alt_") NIL NIL NIL))',
    );
  });

  it('writes INTERNALDATE as RFC 3501 date-time, the day padded with a space, with RFC822.SIZE and FAST', async () => {
    const raw = await openRaw();
    await raw.command('EXAMINE INBOX');
    const u = uid['no-content-type'];
    const { text: untagged } = await raw.command(`UID FETCH ${u} (INTERNALDATE RFC822.SIZE)`);
    expect(untagged).toMatch(new RegExp(`FETCH \\(UID ${u} INTERNALDATE " 2-Dec-2025 08:05:09 \\+0000" RFC822\\.SIZE ${stored('no-content-type').length}\\)\r\n$`));
    const fast = await raw.command(`UID FETCH ${u} FAST`);
    expect(fast.text).toMatch(/\(UID \d+ FLAGS \([^)]*\) INTERNALDATE "[^"]+" RFC822\.SIZE \d+\)/);
  });

  it('cuts partials <start.length> and names them by their origin', async () => {
    const raw = await openRaw();
    await raw.command('EXAMINE INBOX');
    const { text: untagged } = await raw.command(`UID FETCH ${uid['nested-rfc822']} (BODY.PEEK[1]<6.3> BODY.PEEK[]<0.5> BODY.PEEK[2.TEXT]<100000.5> BODY.PEEK[HEADER.FIELDS (SUBJECT)]<9.3>)`);
    expect(untagged).toMatch(/BODY\[1\]<6> \{3\}\r\nles BODY\[\]<0> \{5\}\r\nDate: BODY\[2\.TEXT\]<100000> \{0\}\r\n BODY\[HEADER\.FIELDS \(SUBJECT\)\]<9> \{3\}\r\nFwd\)/);
  });

  it('answers NIL for a part that does not exist, BAD for a malformed section, both in French and English', async () => {
    const raw = await openRaw();
    await raw.command('EXAMINE INBOX');
    const missing = await raw.command(`UID FETCH ${uid['no-content-type']} (BODY.PEEK[3] BODY.PEEK[1.HEADER])`);
    expect(missing.tagged).toMatch(/^OK/);
    expect(missing.text).toContain('BODY[3] NIL BODY[1.HEADER] NIL');
    const bad = await raw.command(`UID FETCH ${uid['no-content-type']} (BODY[1.0])`);
    expect(bad.tagged).toMatch(/^BAD .+ \/ /);
    expect((await raw.command('FETCH 1 (FLAGS) (CHANGEDSINCE)')).tagged).toMatch(/^BAD /);
    expect((await raw.command('FETCH 99999 FLAGS')).tagged).toMatch(/^BAD /);
    expect(await raw.command('UID FETCH 99999 FLAGS')).toMatchObject({ text: '', tagged: expect.stringMatching(/^OK/) });
  });

  it('streams a message of megabytes whole and exact', async () => {
    const client = await imapflow();
    const lock = await client.getMailboxLock('INBOX', { readOnly: true });
    try {
      const m = await one(client, bigUid, { source: true, size: true, bodyParts: ['2'] });
      expect(m.size).toBe(big.length);
      expect(m.source!.equals(big)).toBe(true);
      // the base64 lines, but for the last CRLF: it belongs to the delimiter
      expect(m.bodyParts!.get('2')!.length).toBe(BIG_LINE.length * 40_000 - 2);
    } finally {
      lock.release();
    }
  });

  it('fetches the whole folder, UID FLAGS RFC822.SIZE BODY.PEEK[], each message once and exact', async () => {
    const client = await imapflow();
    const lock = await client.getMailboxLock('INBOX', { readOnly: true });
    try {
      const all = await client.fetchAll('1:*', { uid: true, flags: true, size: true, source: true }, { uid: true });
      const byUid = new Map(all.map((m) => [m.uid, m]));
      for (const name of NAMES) expect(byUid.get(uid[name]!)!.source!.equals(stored(name)), name).toBe(true);
      expect(byUid.get(bigUid)!.size).toBe(big.length);
      expect(new Set(all.map((m) => m.uid)).size).toBe(all.length);
    } finally {
      lock.release();
    }
  });
});

describe('\\Seen set by fetching', () => {
  it('is left alone by BODY.PEEK and RFC822.HEADER, set by BODY[…] with the new FLAGS in the same answer', async () => {
    const raw = await openRaw();
    await raw.command('SELECT INBOX');
    const u = uid['base64-attachment'];
    const peek = await raw.command(`UID FETCH ${u} (FLAGS BODY.PEEK[TEXT] RFC822.HEADER)`);
    expect(peek.text).toMatch(/FLAGS \(\\Recent\)/);
    expect((await raw.command(`UID FETCH ${u} FLAGS`)).text).toMatch(/FLAGS \(\\Recent\)/);
    const read = await raw.command(`UID FETCH ${u} BODY[1]`);
    expect(read.text).toMatch(new RegExp(`^\\* \\d+ FETCH \\(UID ${u} BODY\\[1\\] \\{28\\}\\r\\nCi-joint l'ordonnance\\.=0D=0A FLAGS \\(\\\\Seen \\\\Recent\\)\\)\\r\\n$`));
    expect((await raw.command(`UID FETCH ${u} FLAGS`)).text).toMatch(/FLAGS \(\\Seen \\Recent\)/);
  });

  it('is not set on a folder opened read-only (EXAMINE)', async () => {
    const raw = await openRaw();
    await raw.command('EXAMINE INBOX');
    const u = uid['empty-parts'];
    const read = await raw.command(`UID FETCH ${u} (RFC822.TEXT BODY[1])`);
    expect(read.tagged).toMatch(/^OK/);
    expect(read.text).not.toContain('FLAGS');
    expect((await raw.command(`UID FETCH ${u} FLAGS`)).text).toMatch(/FLAGS \((\\Recent)?\)/);
  });
});

describe('IMAP STORE', () => {
  it('sets, adds and removes flags and keywords as a client does', async () => {
    const client = await imapflow();
    const lock = await client.getMailboxLock('INBOX');
    try {
      const u = String(uid['headers-8bit']);
      expect(await client.messageFlagsAdd(u, ['\\Flagged', '$Urgent', 'Ordonnance'], { uid: true })).toBe(true);
      let flags = (await one(client, u, { flags: true })).flags!;
      expect([...flags].sort()).toEqual(['$Urgent', 'Ordonnance', '\\Flagged']);
      await client.messageFlagsRemove(u, ['Ordonnance', '\\Flagged'], { uid: true });
      flags = (await one(client, u, { flags: true })).flags!;
      expect([...flags]).toEqual(['$Urgent']);
      await client.messageFlagsSet(u, ['\\Answered', '\\Seen'], { uid: true });
      flags = (await one(client, u, { flags: true })).flags!;
      expect([...flags].sort()).toEqual(['\\Answered', '\\Seen']);
    } finally {
      lock.release();
    }
  });

  it('answers each message with its flags, none with .SILENT, and refuses bad flags and read-only folders', async () => {
    const raw = await openRaw();
    await raw.command('SELECT INBOX');
    const u = uid['encoded-words'];
    const loud = await raw.command(`UID STORE ${u} +FLAGS (\\answered Suivi)`);
    expect(loud.tagged).toMatch(/^OK/);
    expect(loud.text).toMatch(new RegExp(`^\\* \\d+ FETCH \\(FLAGS \\(\\\\Answered Suivi\\) UID ${u}\\)\\r\\n$`));
    // Already so: the flags are still told.
    const again = await raw.command(`UID STORE ${u} +FLAGS (\\Answered)`);
    expect(again.text).toMatch(/FETCH \(FLAGS \(\\Answered Suivi\) UID/);
    const silent = await raw.command(`UID STORE ${u} -FLAGS.SILENT (Suivi)`);
    expect(silent.tagged).toMatch(/^OK/);
    expect(silent.text).toBe('');
    expect((await raw.command(`UID FETCH ${u} FLAGS`)).text).toMatch(/FLAGS \(\\Answered\)/);
    expect((await raw.command(`UID STORE ${u} +FLAGS (\\Bogus)`)).tagged).toMatch(/^BAD .+ \/ /);
    expect((await raw.command(`UID STORE ${u} +FLAGS (bad]word)`)).tagged).toMatch(/^BAD /);
    expect((await raw.command(`UID STORE ${u} FLAGZ (\\Seen)`)).tagged).toMatch(/^BAD /);
    await raw.command('EXAMINE INBOX');
    expect((await raw.command(`UID STORE ${u} +FLAGS (\\Flagged)`)).tagged).toMatch(/^NO \[READ-ONLY\] .+ \/ /);
  });

  it('applies UNCHANGEDSINCE: changes what did not move, reports the rest with [MODIFIED], MODSEQ told even when silent', async () => {
    const raw = await openRaw();
    const selected = await raw.command('SELECT INBOX (CONDSTORE)');
    expect(selected.text).toMatch(/HIGHESTMODSEQ \d+/);
    const u = uid['no-content-type'];
    const seq = Number(/^\* (\d+) FETCH/.exec((await raw.command(`UID FETCH ${u} MODSEQ`)).text)![1]);
    const before = Number(/MODSEQ \((\d+)\)/.exec((await raw.command(`UID FETCH ${u} MODSEQ`)).text)![1]);
    const first = await raw.command(`UID STORE ${u} (UNCHANGEDSINCE ${before}) +FLAGS.SILENT ($Vu)`);
    expect(first.tagged).toMatch(/^OK/);
    const after = Number(new RegExp(`^\\* ${seq} FETCH \\(UID ${u} MODSEQ \\((\\d+)\\)\\)\\r\\n$`).exec(first.text)![1]);
    expect(after).toBeGreaterThan(before);
    const late = await raw.command(`UID STORE ${u} (UNCHANGEDSINCE ${before}) +FLAGS ($Autre)`);
    expect(late.tagged).toMatch(new RegExp(`^OK \\[MODIFIED ${u}\\] `));
    expect(late.text).toBe('');
    // By sequence number, MODIFIED names sequence numbers.
    expect((await raw.command(`STORE ${seq} (UNCHANGEDSINCE ${before}) -FLAGS ($Vu)`)).tagged).toMatch(new RegExp(`^OK \\[MODIFIED ${seq}\\] `));
    expect((await raw.command(`UID FETCH ${u} (FLAGS MODSEQ)`)).text).toMatch(new RegExp(`FLAGS \\(\\$Vu( \\\\Recent)?\\) MODSEQ \\(${after}\\)`));
    expect((await raw.command(`UID STORE ${u} (UNCHANGEDSINCE x) +FLAGS (a)`)).tagged).toMatch(/^BAD /);
  });
});

describe('CHANGEDSINCE and VANISHED', () => {
  it('fetches only what changed after a MODSEQ, with its MODSEQ', async () => {
    const client = await imapflow();
    const lock = await client.getMailboxLock('INBOX');
    try {
      const u = uid['alternative-related']!;
      // the folder's highest MODSEQ (imapflow asks MODSEQ with every FETCH): nothing changed after it yet
      const since = (await client.fetchAll('1:*', { uid: true }, { uid: true })).reduce((max, m) => (m.modseq! > max ? m.modseq! : max), 0n);
      const before = await client.fetchAll('1:*', { uid: true, flags: true }, { uid: true, changedSince: since });
      expect(before.map((m) => m.uid)).not.toContain(u);
      await client.messageFlagsAdd(String(u), ['\\Flagged'], { uid: true });
      const after = await client.fetchAll('1:*', { uid: true, flags: true }, { uid: true, changedSince: since });
      expect(after.map((m) => m.uid)).toEqual([u]);
      expect(after[0]!.modseq! > since).toBe(true);
      expect([...after[0]!.flags!]).toEqual(['\\Flagged']);
    } finally {
      lock.release();
    }
  });

  it('says VANISHED (EARLIER) for the UIDs of the set expunged since, under QRESYNC', async () => {
    const raw = await openRaw();
    expect((await raw.command('ENABLE QRESYNC')).tagged).toMatch(/^OK/);
    await raw.command('SELECT INBOX');
    const extra = (await (await imapflow()).append('INBOX', stored('no-content-type')))!;
    if (!extra || !extra.uid) throw new Error('APPEND failed');
    await raw.command('NOOP');
    const since = Number(/MODSEQ \((\d+)\)/.exec((await raw.command(`UID FETCH ${extra.uid} MODSEQ`)).text)![1]);
    await raw.command(`UID STORE ${extra.uid} +FLAGS.SILENT (\\Deleted)`);
    await raw.command(`UID EXPUNGE ${extra.uid}`);
    const { text: untagged, tagged } = await raw.command(`UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${since} VANISHED)`);
    expect(tagged).toMatch(/^OK/);
    expect(untagged).toMatch(new RegExp(`^\\* VANISHED \\(EARLIER\\) ${extra.uid}\\r\\n`));
    expect((await raw.command(`FETCH 1:* (FLAGS) (CHANGEDSINCE ${since} VANISHED)`)).tagged).toMatch(/^BAD /);
  });
});
