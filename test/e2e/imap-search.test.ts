/**
 * SEARCH through the real server: a message delivered by SMTP submission and three APPENDed
 * ones, searched with imapflow (flags, dates, header and body text in UTF-8, OR/NOT, sequence
 * and UID sets, ESEARCH), and on a raw TLS socket where the wire form matters (ESEARCH and
 * MODSEQ answers, BADCHARSET, BAD with a reason, a UTF-8 literal).
 */
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImapText } from '../helpers/imap-text.js';
import { COLLEAGUE, DOCTOR, PASSWORD, PHARMACY, startWorld, trySend, type World } from '../helpers/world.js';

let world: World;
let imap: ImapFlow;
const closers: Array<() => Promise<unknown>> = [];
/** UIDs in INBOX order: [delivered, prescription, report, deleted] */
let uids: number[];

const crlf = (lines: string[]) => Buffer.from(lines.join('\r\n'), 'utf8');

const PRESCRIPTION = Buffer.concat([
  crlf([
    `From: Pharmacie du Centre <${PHARMACY}>`,
    `To: <${COLLEAGUE}>`,
    'Subject: =?ISO-8859-1?Q?Ordonnance_renouvel=E9e?=',
    'Date: Fri, 10 Jan 2025 23:30:00 -0300',
    'Content-Type: text/plain; charset=iso-8859-1',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'Traitement d=E9livr=E9 pour trois mois.',
    '',
  ]),
]);

const REPORT = crlf([
  `From: Dr House <${DOCTOR}>`,
  `To: <${COLLEAGUE}>`,
  'Subject: Compte rendu',
  'Date: 20 Feb 2025 09:00:00 +0100',
  'X-MSS-MES: FIN',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Rendez-vous confirmé pour le contrôle.',
  '',
]);

const DELETED = Buffer.concat([
  crlf([
    `From: <${DOCTOR}>`,
    `To: <${COLLEAGUE}>`,
    'Subject: Brouillon jeté',
    'Date: 1 Mar 2025 09:00:00 +0100',
    'Content-Type: multipart/mixed; boundary="b"',
    '',
    '--b',
    'Content-Type: text/plain',
    '',
    'Pièce jointe.',
    '--b',
    'Content-Type: application/pdf',
    'Content-Transfer-Encoding: base64',
    '',
  ]),
  Buffer.from(`${'JVBERi0xLjQK'.repeat(8000)}\r\n--b--\r\n`),
]);

async function client(user = COLLEAGUE): Promise<ImapFlow> {
  const c = world.imap(user);
  await c.connect();
  closers.push(() => c.logout().catch(() => c.close()));
  return c;
}

beforeAll(async () => {
  world = await startWorld();
  const sent = await trySend(world.submission(), {
    from: DOCTOR,
    to: COLLEAGUE,
    subject: "Résultats d'analyse — Mme Dupont",
    text: 'Hémoglobine glyquée à 6,1 %, à recontrôler dans trois mois.',
    html: '<p>Hémoglobine <b>glyquée</b> à 6,1&nbsp;%</p>',
  });
  expect(sent.ok).toBe(true);
  imap = await client();
  await imap.append('INBOX', PRESCRIPTION, ['\\Seen'], new Date('2025-01-11T12:00:00Z'));
  await imap.append('INBOX', REPORT, ['\\Seen', '\\Flagged', '$Urgent'], new Date('2025-02-20T12:00:00Z'));
  await imap.append('INBOX', DELETED, ['\\Deleted'], new Date('2025-03-01T12:00:00Z'));
  await imap.mailboxOpen('INBOX');
  uids = (await imap.search({ all: true }, { uid: true })) as number[];
  expect(uids).toHaveLength(4);
}, 60_000);

afterAll(async () => {
  for (const close of closers) await close();
  await world?.stop();
});

const uidsOf = async (query: Parameters<ImapFlow['search']>[0]) => (await imap.search(query, { uid: true })) as number[];
const at = (...indexes: number[]) => indexes.map((i) => uids[i]!);

describe('SEARCH with imapflow', () => {
  it('finds messages by flag and keyword', async () => {
    expect(await uidsOf({ seen: false })).toEqual(at(0, 3));
    expect(await uidsOf({ seen: true })).toEqual(at(1, 2));
    expect(await uidsOf({ flagged: true })).toEqual(at(2));
    expect(await uidsOf({ deleted: true })).toEqual(at(3));
    expect(await uidsOf({ deleted: false, answered: false })).toEqual(at(0, 1, 2));
    expect(await uidsOf({ keyword: '$Urgent' })).toEqual(at(2));
    expect(await uidsOf({ unKeyword: '$Urgent' })).toEqual(at(0, 1, 3));
  });

  it('finds messages by arrival day and by the day their Date: header states', async () => {
    expect(await uidsOf({ since: new Date('2025-02-20T00:00:00Z'), before: new Date('2025-03-02T00:00:00Z') })).toEqual(at(2, 3));
    expect(await uidsOf({ on: new Date('2025-01-11T00:00:00Z') })).toEqual(at(1));
    // written "Fri, 10 Jan 2025 23:30 -0300": 10 January to its sender, though 11 January in UTC
    expect(await uidsOf({ sentOn: new Date('2025-01-10T00:00:00Z') })).toEqual(at(1));
    expect(await uidsOf({ sentBefore: new Date('2025-02-21T00:00:00Z') })).toEqual(at(1, 2));
    expect(await uidsOf({ sentSince: new Date('2025-03-01T00:00:00Z') })).toEqual(at(0, 3));
  });

  it('finds header and body text in UTF-8, encoded words and charsets decoded', async () => {
    expect(await uidsOf({ subject: 'résultats' })).toEqual(at(0));
    expect(await uidsOf({ subject: 'RENOUVELÉE' })).toEqual(at(1));
    expect(await uidsOf({ from: 'pharmacie du centre' })).toEqual(at(1));
    expect(await uidsOf({ to: COLLEAGUE })).toEqual(at(0, 1, 2, 3));
    expect(await uidsOf({ body: 'glyquée à 6,1' })).toEqual(at(0));
    expect(await uidsOf({ body: 'délivré' })).toEqual(at(1));
    expect(await uidsOf({ body: 'pour le contrôle' })).toEqual(at(2));
    expect(await uidsOf({ text: 'mme dupont' })).toEqual(at(0));
    expect(await uidsOf({ body: 'mme dupont' })).toEqual([]);
    expect(await uidsOf({ body: 'JVBERi0x' })).toEqual([]); // the PDF is not text
    expect(await uidsOf({ header: { 'X-MSS-MES': 'fin' } })).toEqual(at(2));
  });

  it('combines keys with OR and NOT', async () => {
    expect(await uidsOf({ or: [{ flagged: true }, { deleted: true }] })).toEqual(at(2, 3));
    expect(await uidsOf({ not: { seen: true } })).toEqual(at(0, 3));
    expect(await uidsOf({ or: [{ body: 'délivré' }, { subject: 'compte rendu' }], not: { flagged: true } })).toEqual(at(1));
  });

  it('takes sequence sets and UID sets, `*` included', async () => {
    expect(await imap.search({ seq: '2:*' })).toEqual([2, 3, 4]);
    expect(await imap.search({ seq: '*' })).toEqual([4]);
    expect(await uidsOf({ uid: `${uids[1]}:${uids[2]}` })).toEqual(at(1, 2));
    expect(await uidsOf({ uid: `${uids[3]! + 50}:*` })).toEqual(at(3));
    expect(await imap.search({ uid: `${uids[2]}:*`, seen: true })).toEqual([3]);
  });

  it('answers ESEARCH when asked for MIN, MAX, COUNT and ALL', async () => {
    const result = await imap.search({ deleted: false }, { uid: true, returnOptions: ['MIN', 'MAX', 'COUNT', 'ALL'] });
    expect(result).toMatchObject({ min: uids[0], max: uids[2], count: 3 });
    const all = (result as { all?: string }).all;
    expect(all === `${uids[0]}:${uids[2]}` || all === at(0, 1, 2).join(',')).toBe(true);
    expect(await imap.search({ keyword: 'absent' }, { returnOptions: ['COUNT'] })).toMatchObject({ count: 0 });
  });

  it('sees a message delivered after SELECT once the session has been told of it', async () => {
    const sent = await trySend(world.submission(), { from: DOCTOR, to: COLLEAGUE, subject: 'Nouveau', text: 'Échographie prévue jeudi.' });
    expect(sent.ok).toBe(true);
    // NOOP is when the session may be told of the new message (EXISTS)
    for (let i = 0; i < 50 && (imap.mailbox ? imap.mailbox.exists : 0) < 5; i++) {
      await imap.noop();
      if ((imap.mailbox ? imap.mailbox.exists : 0) < 5) await new Promise((r) => setTimeout(r, 100));
    }
    const found = await uidsOf({ body: 'échographie' });
    expect(found).toHaveLength(1);
    expect(found[0]).toBeGreaterThan(uids[3]!);
  });
});

/** A bare IMAP client over TLS: one command at a time, its untagged lines and tagged answer. */
/** A bare IMAPS session with INBOX selected (answers as text: helpers/imap-text.ts). */
async function openRaw(): Promise<ImapText> {
  const raw = await ImapText.connect(world.server.ports.imaps, world.ca);
  closers.push(() => raw.close());
  expect((await raw.command(`LOGIN "${COLLEAGUE}" "${PASSWORD}"`)).tagged).toMatch(/^OK/);
  expect((await raw.command('SELECT INBOX')).tagged).toMatch(/^OK/);
  return raw;
}

describe('SEARCH on the wire', () => {
  it('writes ESEARCH with its tag, UID and the items asked for', async () => {
    const raw = await openRaw();
    const undeleted = await uidsOf({ deleted: false });
    const { untagged, tagged } = await raw.command('UID SEARCH RETURN (MIN MAX COUNT) UNDELETED');
    expect(tagged).toMatch(/^OK/);
    expect(untagged).toContain(`* ESEARCH (TAG "t3") UID MIN ${undeleted[0]} MAX ${undeleted.at(-1)} COUNT ${undeleted.length}`);
    const none = await raw.command('SEARCH RETURN () KEYWORD absent');
    expect(none.untagged).toContain('* ESEARCH (TAG "t4")');
  });

  it('adds (MODSEQ n) when the search used MODSEQ, and nothing when nothing matched', async () => {
    const raw = await openRaw();
    const { untagged } = await raw.command('SEARCH MODSEQ 1 SEEN');
    expect(untagged.find((l) => l.startsWith('* SEARCH'))).toMatch(/^\* SEARCH 2 3 \(MODSEQ \d+\)$/);
    expect((await raw.command('SEARCH MODSEQ 999999999')).untagged).toContain('* SEARCH');
  });

  it('takes a UTF-8 literal under CHARSET UTF-8', async () => {
    const raw = await openRaw();
    const { untagged, tagged } = await raw.command('SEARCH CHARSET UTF-8 BODY ', Buffer.from('hémoglobine', 'utf8'));
    expect(tagged).toMatch(/^OK/);
    expect(untagged).toContain('* SEARCH 1');
  });

  it('refuses another charset with BADCHARSET, and a malformed search with BAD saying why', async () => {
    const raw = await openRaw();
    expect((await raw.command('SEARCH CHARSET ISO-2022-JP SUBJECT x')).tagged).toMatch(/^NO \[BADCHARSET \(UTF-8 US-ASCII\)\] .*unsupported charset: ISO-2022-JP/);
    expect((await raw.command('SEARCH SINCE yesterday')).tagged).toMatch(/^BAD .*invalid date for SINCE: "yesterday"/);
    expect((await raw.command('SEARCH FROBNICATE')).tagged).toMatch(/^BAD .*unknown search key: FROBNICATE/);
    expect((await raw.command('SEARCH RETURN (SAVE) ALL')).tagged).toMatch(/^BAD .*SEARCHRES/);
    // the session goes on
    expect((await raw.command('SEARCH SEEN')).untagged).toContain('* SEARCH 2 3');
  });
});
