/**
 * Searches run over real messages: bytes indexed by src/mime/indexer.ts, stored in a real
 * SQLite store and blob files, searched through the store interfaces. The blob store is wrapped
 * (delegating to the real one) only to count what the search read from message files.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { indexMessage } from '../../../src/mime/indexer.js';
import { parseCommand } from '../../../src/imap/protocol/parser.js';
import { parseSearch } from '../../../src/imap/search/criteria.js';
import { runSearch, type SearchScope } from '../../../src/imap/search/evaluate.js';
import { esearchResponse, searchResponse } from '../../../src/imap/search/results.js';
import { fsBlobStore } from '../../../src/store/fs/blobs.js';
import { openSqliteStore } from '../../../src/store/sqlite/index.js';
import type { BlobStore, Store } from '../../../src/store/types.js';

const crlf = (lines: string[]) => Buffer.from(lines.join('\r\n'), 'utf8');

/** 1: UTF-8, quoted-printable, encoded-word subject, a Date: in another zone. */
const LAB_RESULT = crlf([
  'From: "Dr House" <dr.house@hopital.mssante.fr>',
  'To: =?UTF-8?Q?Pharmacie_H=C3=B4tel-Dieu?= <pharmacie@hopital.mssante.fr>',
  "Subject: =?UTF-8?Q?R=C3=A9sultats_d'analyse?=",
  'Date: Mon, 3 Mar 2025 23:30:00 -0500',
  'Message-ID: <lab-1@hopital.mssante.fr>',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  'Votre r=C3=A9sultat de glyc=C3=A9mie est normal, le taux d=E2=80=99h=C3=A9mo=',
  'globine aussi.',
  '',
]);

/** 2: alternative (latin-1 text, base64 HTML), a text attachment, a binary one; no Date:. */
const html = Buffer.from('<html><head><style>p{color:red}</style></head><body><p>Bonjour&nbsp;<b>Mar</b>ie,</p><p>&eacute;chographie pr&#233;vue</p><script>motsecret()</script></body></html>', 'utf8');
const PRESCRIPTION = Buffer.concat([
  crlf([
    'From: Jeanne Martin <184127645108946@patient.mssante.fr>',
    'To: pharmacie@hopital.mssante.fr',
    'Cc: dr.wilson@hopital.mssante.fr',
    'Bcc: archives@hopital.mssante.fr',
    'Subject: Ordonnance',
    'X-MSS-MES: FIN',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="outer"',
    '',
    '--outer',
    'Content-Type: multipart/alternative; boundary="alt"',
    '',
    '--alt',
    'Content-Type: text/plain; charset=iso-8859-1',
    'Content-Transfer-Encoding: 8bit',
    '',
    '',
  ]),
  Buffer.from('Ordonnance renouvel\xe9e pour trois mois.\r\n', 'latin1'),
  crlf([
    '--alt',
    'Content-Type: text/html; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    '',
    ...(html.toString('base64').match(/.{1,76}/g) ?? []),
    '--alt--',
    '--outer',
    'Content-Type: text/plain; name="annexe.txt"',
    'Content-Disposition: attachment; filename="annexe.txt"',
    '',
    'annexe-texte numero 7',
    '--outer',
    'Content-Type: application/octet-stream; name="donnees.bin"',
    'Content-Disposition: attachment',
    '',
    'motcache dans une piece binaire',
    '--outer--',
    '',
  ]),
]);

/** 3: a forwarded message (message/rfc822) whose own body is base64. */
const FORWARD = crlf([
  'From: dr.wilson@hopital.mssante.fr',
  'To: dr.house@hopital.mssante.fr',
  'Subject: Fwd: CR',
  'Date: 28 Feb 25 08:00 +0100',
  'Content-Type: multipart/mixed; boundary="b"',
  '',
  '--b',
  'Content-Type: text/plain',
  '',
  'Voir ci-joint.',
  '--b',
  'Content-Type: message/rfc822',
  '',
  'From: bloc@hopital.mssante.fr',
  'Subject: =?ISO-8859-1?Q?Compte_rendu_op=E9ratoire?=',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: base64',
  '',
  Buffer.from('Hémoglobine glyquée à contrôler.', 'utf8').toString('base64'),
  '--b--',
  '',
]);

/** 4: a big text part with the needle straddling the stream's 256 KiB pieces, and a 2 MB binary. */
const FILLER = 'x'.repeat(256 * 1024 - 4);
const BIG = Buffer.concat([
  crlf(['From: labo@ch-lyon.mssante.fr', 'Subject: gros', 'Date: 5 Mar 2025 10:00:00 +0000', 'Content-Type: multipart/mixed; boundary="z"', '', '--z', 'Content-Type: text/plain', '', '']),
  Buffer.from(`${FILLER}aiguille dans la botte\r\n`),
  crlf(['--z', 'Content-Type: application/pdf', 'Content-Transfer-Encoding: base64', '', '']),
  Buffer.from('JVBERi0x'.repeat(2 * 1024 * 1024 / 8)),
  crlf(['', '--z--', '']),
]);

let dir: string;
let store: Store;
let realBlobs: BlobStore;
let mailboxId: number;
let folderId: number;
let uids: number[];
const reads = { read: 0, stream: 0, streamedBytes: 0, readBytes: 0 };

/** The real blob store, counting what is read from it. */
const blobs: BlobStore = new Proxy({} as BlobStore, {
  get(_target, name: keyof BlobStore) {
    if (name === 'read') {
      return (id: string, range?: { start: number; end: number }) => {
        reads.read++;
        return realBlobs.read(id, range).then((bytes) => ((reads.readBytes += bytes.length), bytes));
      };
    }
    if (name === 'stream') {
      return (id: string, range?: { start: number; end: number }): Readable => {
        reads.stream++;
        const counter = new Transform({
          transform(chunk: Buffer, _enc, done) {
            reads.streamedBytes += chunk.length;
            done(null, chunk);
          },
        });
        const source = realBlobs.stream(id, range);
        counter.on('close', () => source.destroy());
        return source.pipe(counter);
      };
    }
    return realBlobs[name];
  },
});

async function add(raw: Buffer, flags: string[], internalDate: string): Promise<number> {
  const blob = await realBlobs.put(raw);
  const { uid } = await store.messages.append(mailboxId, folderId, { blob, mime: indexMessage(raw), flags, internalDate: new Date(internalDate) });
  return uid;
}

function scope(recentFrom = Infinity): SearchScope {
  return { mailboxId, folderId, uids, isRecent: (uid) => uid >= recentFrom, messages: store.messages, blobs };
}

function program(text: string, ...literals: Buffer[]) {
  const pieces = text.split('{}');
  const lines = pieces.map((p, i) => Buffer.from(i < literals.length ? `${p}{${literals[i]!.length}}` : p));
  const parsed = parseCommand({ lines: [Buffer.concat([Buffer.from('A1 SEARCH '), lines[0]!]), ...lines.slice(1)], literals });
  if (!parsed.ok) throw new Error(parsed.failure.text);
  return parseSearch(parsed.command.args);
}

/** sequence numbers matching */
async function seqs(text: string, ...literals: Buffer[]): Promise<number[]> {
  return (await runSearch(program(text, ...literals), scope())).map((h) => h.seq);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'search-'));
  store = openSqliteStore(dir);
  realBlobs = fsBlobStore(dir);
  mailboxId = (await store.mailboxes.create({ address: 'dr.house@hopital.mssante.fr', kind: 'PER' })).id;
  folderId = (await store.folders.byName(mailboxId, 'INBOX'))!.id;
  uids = [
    await add(LAB_RESULT, ['\\Seen', '\\Answered'], '2025-03-04T12:00:00Z'),
    await add(PRESCRIPTION, ['\\Flagged', '$Urgent'], '2025-03-02T12:00:00Z'),
    await add(FORWARD, ['\\Seen', '\\Deleted'], '2025-03-01T12:00:00Z'),
    await add(BIG, ['\\Draft'], '2025-03-05T12:00:00Z'),
  ];
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  reads.read = 0;
  reads.stream = 0;
  reads.streamedBytes = 0;
  reads.readBytes = 0;
});

describe('flags, sizes, numbers', () => {
  it('matches system flags and keywords, set or not, without reading any file', async () => {
    expect(await seqs('SEEN')).toEqual([1, 3]);
    expect(await seqs('UNSEEN')).toEqual([2, 4]);
    expect(await seqs('ANSWERED')).toEqual([1]);
    expect(await seqs('UNANSWERED')).toEqual([2, 3, 4]);
    expect(await seqs('DELETED')).toEqual([3]);
    expect(await seqs('UNDELETED')).toEqual([1, 2, 4]);
    expect(await seqs('DRAFT')).toEqual([4]);
    expect(await seqs('UNDRAFT')).toEqual([1, 2, 3]);
    expect(await seqs('FLAGGED')).toEqual([2]);
    expect(await seqs('UNFLAGGED')).toEqual([1, 3, 4]);
    expect(await seqs('KEYWORD $urgent')).toEqual([2]);
    expect(await seqs('UNKEYWORD $Urgent')).toEqual([1, 3, 4]);
    expect(await seqs('ALL')).toEqual([1, 2, 3, 4]);
    expect(reads).toEqual({ read: 0, stream: 0, streamedBytes: 0, readBytes: 0 });
  });

  it('matches RECENT, NEW and OLD from the session view', async () => {
    const recentFrom = uids[2]!;
    const run = async (text: string) => (await runSearch(program(text), scope(recentFrom))).map((h) => h.seq);
    expect(await run('RECENT')).toEqual([3, 4]);
    expect(await run('NEW')).toEqual([4]);
    expect(await run('OLD')).toEqual([1, 2]);
  });

  it('matches LARGER and SMALLER on RFC822.SIZE', async () => {
    expect(await seqs(`LARGER ${FORWARD.length - 1}`)).toEqual([2, 3, 4].filter((n) => [LAB_RESULT, PRESCRIPTION, FORWARD, BIG][n - 1]!.length > FORWARD.length - 1));
    expect(await seqs(`SMALLER ${LAB_RESULT.length}`)).toEqual([]);
    expect(await seqs(`SMALLER ${LAB_RESULT.length + 1}`)).toEqual([1]);
    expect(await seqs('LARGER 1000000')).toEqual([4]);
  });

  it('matches sequence sets and UID sets, `*` and reversed ranges included', async () => {
    expect(await seqs('2:*')).toEqual([2, 3, 4]);
    expect(await seqs('*')).toEqual([4]);
    expect(await seqs('3:1')).toEqual([1, 2, 3]);
    expect(await seqs('1,4,9')).toEqual([1, 4]); // 9 is past the end: nothing, no error
    expect(await seqs(`UID ${uids[1]}:${uids[2]}`)).toEqual([2, 3]);
    expect(await seqs(`UID ${uids[3]! + 100}:*`)).toEqual([4]); // `*` is the last UID, whatever the other end
    expect(await seqs(`UID ${uids[3]! + 1}:${uids[3]! + 5}`)).toEqual([]);
    expect(await seqs('UID 1:* NOT 1')).toEqual([2, 3, 4]);
  });

  it('matches MODSEQ and reports the highest MODSEQ of the matches', async () => {
    const rows = await store.messages.fetch(mailboxId, folderId, uids);
    const third = rows[2]!.modseq;
    const p = program(`MODSEQ ${third}`);
    const hits = await runSearch(p, scope());
    expect(hits.map((h) => h.seq)).toEqual([3, 4]);
    expect(searchResponse(hits, p, false)).toEqual([
      { t: 'atom', v: 'SEARCH' },
      { t: 'number', v: 3 },
      { t: 'number', v: 4 },
      { t: 'list', v: [{ t: 'atom', v: 'MODSEQ' }, { t: 'number', v: rows[3]!.modseq }] },
    ]);
    expect(searchResponse([], p, false)).toEqual([{ t: 'atom', v: 'SEARCH' }]);
  });
});

describe('dates', () => {
  it('matches INTERNALDATE by day', async () => {
    expect(await seqs('ON 4-Mar-2025')).toEqual([1]);
    expect(await seqs('BEFORE 2-Mar-2025')).toEqual([3]);
    expect(await seqs('SINCE 4-Mar-2025')).toEqual([1, 4]);
    expect(await seqs('SINCE 2-Mar-2025 BEFORE 5-Mar-2025')).toEqual([1, 2]);
  });

  it('matches the Date: header by the day written in it, whatever its zone, two-digit years included', async () => {
    // "Mon, 3 Mar 2025 23:30 -0500" is 4 March in UTC, but the sender wrote 3 March.
    expect(await seqs('SENTON 3-Mar-2025')).toEqual([1]);
    expect(await seqs('SENTON 28-Feb-2025')).toEqual([3]);
    expect(await seqs('SENTBEFORE 3-Mar-2025')).toEqual([2, 3]); // 2 has no Date: its arrival day (2 March) stands in
    expect(await seqs('SENTSINCE 4-Mar-2025')).toEqual([4]);
    expect(reads.read + reads.stream).toBe(0); // the envelope of the MIME index is enough
  });
});

describe('header fields', () => {
  it('matches From, To, Cc, Bcc and Subject from the envelope, encoded words decoded, ignoring case', async () => {
    expect(await seqs('FROM "dr house"')).toEqual([1]);
    expect(await seqs('FROM @hopital.mssante.fr')).toEqual([1, 3]);
    expect(await seqs('CHARSET UTF-8 TO {}', Buffer.from('hôtel-dieu', 'utf8'))).toEqual([1]);
    expect(await seqs('CC dr.wilson')).toEqual([2]);
    expect(await seqs('BCC archives')).toEqual([2]);
    expect(await seqs('CHARSET UTF-8 SUBJECT {}', Buffer.from('RÉSULTATS', 'utf8'))).toEqual([1]);
    expect(await seqs('SUBJECT ""')).toEqual([1, 2, 3, 4]);
    expect(reads.read + reads.stream).toBe(0);
  });

  it('matches HEADER on any field, reading only the header block', async () => {
    expect(await seqs('HEADER X-MSS-MES fin')).toEqual([2]);
    expect(await seqs('HEADER message-id ""')).toEqual([1]);
    expect(await seqs('HEADER Content-Transfer-Encoding quoted')).toEqual([1]);
    expect(reads.stream).toBe(0);
    expect(reads.read).toBeGreaterThan(0);
  });
});

describe('BODY and TEXT', () => {
  it('finds decoded text: quoted-printable across a soft break, latin-1, base64 HTML without its tags', async () => {
    expect(await seqs('CHARSET UTF-8 BODY {}', Buffer.from('taux d’hémoglobine', 'utf8'))).toEqual([1]);
    expect(await seqs('CHARSET UTF-8 BODY {}', Buffer.from('RENOUVELÉE', 'utf8'))).toEqual([2]);
    expect(await seqs('BODY "bonjour marie,"')).toEqual([2]);
    expect(await seqs('CHARSET UTF-8 BODY {}', Buffer.from('échographie prévue', 'utf8'))).toEqual([2]);
    expect(await seqs('BODY motsecret')).toEqual([]); // script, not text
    expect(await seqs('BODY color')).toEqual([]); // style, not text
  });

  it('reads text attachments but never binary parts', async () => {
    expect(await seqs('BODY annexe-texte')).toEqual([2]);
    expect(await seqs('BODY motcache')).toEqual([]);
    expect(await seqs('BODY JVBERi0x')).toEqual([]);
  });

  it('searches inside forwarded messages: their text for BODY, their headers too for TEXT', async () => {
    expect(await seqs('CHARSET UTF-8 BODY {}', Buffer.from('hémoglobine glyquée', 'utf8'))).toEqual([3]);
    expect(await seqs('CHARSET UTF-8 TEXT {}', Buffer.from('compte rendu opératoire', 'utf8'))).toEqual([3]);
    expect(await seqs('CHARSET UTF-8 BODY {}', Buffer.from('compte rendu opératoire', 'utf8'))).toEqual([]);
  });

  it('TEXT finds the header too; BODY does not', async () => {
    expect(await seqs('TEXT ordonnance')).toEqual([2]);
    expect(await seqs('TEXT x-mss-mes')).toEqual([2]);
    expect(await seqs('BODY x-mss-mes')).toEqual([]);
  });

  it('finds a string cut in two by the pieces the file streams in, and streams only text parts', async () => {
    expect(await seqs('BODY "aiguille dans la botte"')).toEqual([4]);
    // The 2 MB binary part was never read: only the text parts of the four messages.
    expect(reads.streamedBytes + reads.readBytes).toBeLessThan(FILLER.length + 4096);
    expect(reads.stream).toBe(1); // the big text part streams; the small ones are read at once
  });

  it('reads no file when cheap keys already decide, and stops at the first answer', async () => {
    expect(await seqs('SEEN UNSEEN BODY normal')).toEqual([]);
    expect(reads).toEqual({ read: 0, stream: 0, streamedBytes: 0, readBytes: 0 });
    expect(await seqs('OR FLAGGED BODY aiguille')).toEqual([2, 4]);
    expect(reads.stream).toBeGreaterThan(0);
    reads.stream = 0;
    // only message 4 is a draft: one message's text streamed, not four
    expect(await seqs('DRAFT BODY "dans la"')).toEqual([4]);
    expect(reads.stream).toBe(1);
  });

  it('combines NOT and OR with body keys', async () => {
    expect(await seqs('NOT BODY normal')).toEqual([2, 3, 4]);
    expect(await seqs('OR BODY normal BODY annexe')).toEqual([1, 2]);
    expect(await seqs('NOT OR SEEN TEXT aiguille')).toEqual([2]);
    expect(await seqs('BODY ""')).toEqual([1, 2, 3, 4]);
  });
});

describe('a folder larger than one read of rows', () => {
  it('numbers, filters and reads across the slices of 500 rows', async () => {
    const archives = await store.folders.create(mailboxId, 'Archives');
    const withNeedle = await realBlobs.put(crlf(['Subject: a', '', 'une aiguille ici', '']));
    const without = await realBlobs.put(crlf(['Subject: b', '', 'rien ici', '']));
    const mimeWith = indexMessage(await realBlobs.read(withNeedle.id));
    const mimeWithout = indexMessage(await realBlobs.read(without.id));
    const all: number[] = [];
    for (let i = 1; i <= 1200; i++) {
      const needle = i % 7 === 0;
      const { uid } = await store.messages.append(mailboxId, archives.id, {
        blob: needle ? withNeedle : without,
        mime: needle ? mimeWith : mimeWithout,
        flags: i % 3 === 0 ? ['\\Seen'] : [],
      });
      all.push(uid);
    }
    const big: SearchScope = { ...scope(), folderId: archives.id, uids: all };
    const run = async (text: string) => (await runSearch(program(text), big)).map((h) => h.seq);
    const seqsWhere = (test: (i: number) => boolean) => all.map((_, i) => i + 1).filter(test);
    expect(await run('SEEN')).toEqual(seqsWhere((i) => i % 3 === 0));
    expect(await run('BODY aiguille')).toEqual(seqsWhere((i) => i % 7 === 0));
    expect(await run('UNSEEN BODY aiguille 1000:*')).toEqual(seqsWhere((i) => i >= 1000 && i % 7 === 0 && i % 3 !== 0));
    expect(await run(`UID ${all[1099]}:* NOT SEEN`)).toEqual(seqsWhere((i) => i >= 1100 && i % 3 !== 0));
  });
});

describe('a message removed while the search runs', () => {
  it('matches nothing once its file is gone, and the search goes on', async () => {
    const folder = await store.folders.create(mailboxId, 'Retention');
    const raw = crlf(['Subject: parti', '', 'texte disparu', '']);
    const gone = await realBlobs.put(raw);
    const kept = await realBlobs.put(raw);
    const first = await store.messages.append(mailboxId, folder.id, { blob: gone, mime: indexMessage(raw) });
    const second = await store.messages.append(mailboxId, folder.id, { blob: kept, mime: indexMessage(raw) });
    await realBlobs.remove(gone.id);
    const hits = await runSearch(program('BODY disparu'), { ...scope(), folderId: folder.id, uids: [first.uid, second.uid] });
    expect(hits.map((h) => h.seq)).toEqual([2]);
  });
});

describe('ESEARCH answers', () => {
  it('gives MIN, MAX, COUNT and ALL as asked, by UID for UID SEARCH', async () => {
    const p = program('RETURN (MIN MAX COUNT ALL) UNDELETED');
    const hits = await runSearch(p, scope());
    const out = esearchResponse('A7', hits, p, true);
    expect(out).toEqual([
      { t: 'atom', v: 'ESEARCH' },
      { t: 'list', v: [{ t: 'atom', v: 'TAG' }, { t: 'string', v: 'A7' }] },
      { t: 'atom', v: 'UID' },
      { t: 'atom', v: 'MIN' },
      { t: 'number', v: uids[0] },
      { t: 'atom', v: 'MAX' },
      { t: 'number', v: uids[3] },
      { t: 'atom', v: 'COUNT' },
      { t: 'number', v: 3 },
      { t: 'atom', v: 'ALL' },
      { t: 'atom', v: `${uids[0]}:${uids[1]},${uids[3]}` },
    ]);
  });

  it('leaves MIN, MAX and ALL out when nothing matches, keeping COUNT 0', async () => {
    const p = program('RETURN (MIN MAX COUNT ALL) KEYWORD nothing');
    expect(esearchResponse('t', await runSearch(p, scope()), p, false).slice(2)).toEqual([
      { t: 'atom', v: 'COUNT' },
      { t: 'number', v: 0 },
    ]);
  });

  it('gives the MODSEQ of the messages returned (RFC 4731 §3.2)', async () => {
    const rows = await store.messages.fetch(mailboxId, folderId, uids);
    const p = program('RETURN (MIN) MODSEQ 0');
    const out = esearchResponse('t', await runSearch(p, scope()), p, false);
    expect(out.slice(2)).toEqual([
      { t: 'atom', v: 'MIN' },
      { t: 'number', v: 1 },
      { t: 'atom', v: 'MODSEQ' },
      { t: 'number', v: rows[0]!.modseq },
    ]);
  });
});
