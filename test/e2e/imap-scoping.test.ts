/**
 * Who sees what over IMAP, against the real server. Professional A tries everything a curious or
 * hostile client can on professional B's mail: B's folder names (bare, behind B's address or an
 * "other users" prefix, in modified UTF-7), UIDs and store ids that exist only in B's mailbox,
 * COPY/MOVE/APPEND towards B's folders, IDLE while B's mail changes. Nothing of B is ever shown
 * or changed: B's whole mailbox is compared before and after. A citizen cannot log in over IMAP
 * at all; a pharmacy (ORG mailbox) reads the prescription a citizen sent it from the webmail.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { createPipeline } from '../../src/pipeline/pipeline.js';
import { compose, submit } from '../../src/pipeline/submit.js';
import { fsBlobStore } from '../../src/store/fs/blobs.js';
import { openStore } from '../../src/store/open.js';
import { issueCertificate } from '../../src/tls/certificates.js';
import { ROOT } from '../helpers/cli.js';
import { RawImap } from '../helpers/raw-imap.js';
import { waitFor } from '../helpers/wait.js';
import { COLLEAGUE, DOCTOR, INS, PASSWORD, PHARMACY, citizen, startWorld, trySend, type World } from '../helpers/world.js';

const A = DOCTOR;
const B = COLLEAGUE;
const PRESCRIPTION = readFileSync(path.join(ROOT, 'fixtures/documents/presc-n1.zip'));
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

let world: World;
const open: Array<ImapFlow | RawImap> = [];

beforeAll(async () => {
  // Many refused logins from one address below: the throttle must not be what answers them.
  world = await startWorld({ auth: { maxFailures: 100, clientMaxFailures: 1000 } });
});
afterAll(async () => {
  for (const c of open) c.close();
  await world?.stop();
});

function flow(user: string): ImapFlow {
  const client = new ImapFlow({
    host: '127.0.0.1',
    port: world.server.ports.imaps,
    secure: true,
    tls: { ca: world.ca, servername: 'localhost' } as never,
    auth: { user, pass: PASSWORD },
    logger: false,
  });
  open.push(client);
  return client;
}

async function raw(user?: string): Promise<RawImap> {
  const r = await RawImap.connect({ port: world.server.ports.imaps, tls: true, ca: world.ca });
  open.push(r);
  await r.line();
  if (user) expect((await r.command('l', `LOGIN "${user}" "${PASSWORD}"`)).at(-1)).toMatch(/^l OK /);
  return r;
}

let tags = 0;
/** the tagged answer of a command, and its untagged lines */
async function run(r: RawImap, command: string): Promise<{ tagged: string; untagged: string[] }> {
  const tag = `t${++tags}`;
  const lines = await r.command(tag, command);
  return { tagged: lines.at(-1)!.slice(tag.length + 1), untagged: lines.slice(0, -1) };
}

interface FolderSnapshot {
  name: string;
  uidValidity: number;
  uidNext: number;
  highestModseq: number;
  subscribed: boolean;
  messages: Array<{ uid: number; flags: string[]; modseq: number; sha: string }>;
}

/** Everything of a mailbox: each folder's counters and each message's UID, flags, MODSEQ and bytes. */
async function snapshot(address: string): Promise<FolderSnapshot[]> {
  const store = openStore(world.box.dataDir);
  const blobs = fsBlobStore(world.box.dataDir);
  try {
    const box = (await store.mailboxes.byAddress(address))!;
    const folders = await store.folders.list(box.id);
    return await Promise.all(
      folders.map(async (f) => ({
        name: f.name,
        uidValidity: f.uidValidity,
        uidNext: f.uidNext,
        highestModseq: f.highestModseq,
        subscribed: f.subscribed,
        messages: await Promise.all(
          (await store.messages.list(address, f.name)).map(async (m) => ({ uid: m.uid, flags: m.flags, modseq: m.modseq, sha: sha256(await blobs.read(m.blobId)) })),
        ),
      })),
    );
  } finally {
    await store.close();
  }
}

async function storeIdsOf(address: string): Promise<{ ids: number[]; messageIds: string[]; uidValidity: number }> {
  const store = openStore(world.box.dataDir);
  try {
    const box = (await store.mailboxes.byAddress(address))!;
    const messages = await store.messages.list(address, 'INBOX');
    return {
      ids: messages.map((m) => m.id),
      messageIds: messages.map((m) => m.messageId!).filter(Boolean),
      uidValidity: (await store.folders.byName(box.id, 'INBOX'))!.uidValidity,
    };
  } finally {
    await store.close();
  }
}

describe('one professional never reaches another’s mailbox', () => {
  it('whatever A guesses of B’s folders, UIDs and ids, nothing of B is shown or changed', async () => {
    // B: five messages in INBOX, private folders with French names; A: two messages only
    for (let i = 1; i <= 5; i++) {
      const sent = await trySend(world.session(A), { from: A, to: B, subject: `Patient ${i} — confidentiel`, text: `Dossier n°${i}` });
      expect(sent.ok, sent.response).toBe(true);
    }
    for (let i = 1; i <= 2; i++) {
      const sent = await trySend(world.session(B), { from: B, to: A, subject: `Pour A ${i}`, text: 'Bonjour' });
      expect(sent.ok, sent.response).toBe(true);
    }
    const b = flow(B);
    await b.connect();
    await b.mailboxCreate('Privé');
    await b.mailboxCreate(['Patients', 'Dupont']);
    await b.append('Privé', `From: ${B}\r\nSubject: note privée\r\n\r\nsecret\r\n`, ['\\Flagged']);
    await b.append('Patients/Dupont', `From: ${B}\r\nSubject: Dupont\r\n\r\ndossier\r\n`);
    await b.logout();
    const before = await snapshot(B);
    const bInbox = await storeIdsOf(B);

    const a = await raw(A);
    // NAMESPACE offers no other users' or shared namespace
    expect((await run(a, 'NAMESPACE')).untagged).toEqual(['* NAMESPACE (("" "/")) NIL NIL']);
    // no LIST shape shows a folder of B
    const mine = ['Drafts', 'INBOX', 'Sent', 'Trash'];
    for (const pattern of ['"" "*"', '"" "%"', '"" "%/%"', `"${B}/" "*"`, `"" "${B}*"`, '"" "dr.wilson*"', '"#shared/" "*"', '"~dr.wilson/" "*"', '"Other Users/" "*"', '"/" "*"', '"../" "*"', '"" "Patients*"', '"" "Priv*"']) {
      for (const verb of ['LIST', 'LSUB']) {
        const answer = await run(a, `${verb} ${pattern}`);
        expect(answer.tagged, `${verb} ${pattern}`).toMatch(/^(OK|NO|BAD) /);
        const names = answer.untagged.map((l) => /"\/" "?([^"]*)"?$/.exec(l)?.[1] ?? l);
        expect(names.filter((n) => !mine.includes(n)), `${verb} ${pattern}`).toEqual([]);
      }
    }

    // B's folders by every name a client could try: none exists for A
    const names = ['"Priv&AOk-"', '"Patients/Dupont"', 'Patients', `"${B}/INBOX"`, `"${B}/Priv&AOk-"`, '"user/dr.wilson/INBOX"', '"user.dr.wilson"', '"~dr.wilson/INBOX"', '"#shared/dr.wilson/INBOX"', '"Other Users/dr.wilson/INBOX"', '"../dr.wilson/INBOX"', '"/INBOX"', '"INBOX/../../dr.wilson/INBOX"'];
    for (const name of names) {
      for (const command of [`SELECT ${name}`, `EXAMINE ${name}`, `STATUS ${name} (MESSAGES UIDNEXT UNSEEN HIGHESTMODSEQ)`, `DELETE ${name}`, `RENAME ${name} Vol`, `SUBSCRIBE ${name}`, `UNSUBSCRIBE ${name}`]) {
        const answer = await run(a, command);
        expect(answer.tagged, command).toMatch(/^(NO|BAD) /);
        expect(answer.untagged.filter((l) => /STATUS|EXISTS/.test(l)), command).toEqual([]);
      }
      const append = await run(a, `APPEND ${name} {14+}\r\nSubject: x\r\n\r\n`);
      expect(append.tagged, `APPEND ${name}`).toMatch(/^(NO \[TRYCREATE\]|NO \[CANNOT\]|BAD) /);
    }

    // in A's own INBOX: B's UIDs (which A's INBOX does not have), store ids, Message-IDs
    const select = await run(a, 'SELECT INBOX');
    expect(select.untagged).toContain('* 2 EXISTS');
    const guesses = [...new Set(['3:5', '1:*', ...bInbox.ids.map(String), '4294967295', '3,4,5'])];
    for (const set of guesses) {
      const fetched = await run(a, `UID FETCH ${set} (UID FLAGS BODY.PEEK[])`);
      expect(fetched.tagged, set).toMatch(/^OK /);
      expect(fetched.untagged.join('\n'), set).not.toMatch(/Patient \d|confidentiel|secret|Dupont/);
      expect(fetched.untagged.every((l) => /^\* [12] FETCH \(UID [12] /.test(l)), set).toBe(true);
    }
    for (const command of ['UID STORE 3:5 +FLAGS (\\Deleted \\Seen)', 'UID COPY 3:5 Trash', 'UID MOVE 3:5 Trash', 'UID EXPUNGE 3:5', 'UID SEARCH UID 3:5']) {
      const answer = await run(a, command);
      expect(answer.tagged, command).toMatch(/^OK /);
      expect(answer.untagged.filter((l) => /FETCH|EXPUNGE|VANISHED|COPYUID/.test(l)), command).toEqual([]);
      expect(answer.untagged.filter((l) => /^\* SEARCH \d/.test(l)), command).toEqual([]);
    }
    // sequence numbers past A's two messages are refused, not resolved in someone else's folder
    expect((await run(a, 'FETCH 3:5 (FLAGS)')).tagged).toMatch(/^(BAD|NO) /);
    expect((await run(a, 'STORE 5 +FLAGS (\\Deleted)')).tagged).toMatch(/^(BAD|NO) /);
    for (const id of bInbox.messageIds) {
      expect((await run(a, `UID SEARCH HEADER Message-ID "${id.replace(/[<>]/g, '')}"`)).untagged).toEqual(['* SEARCH']);
    }
    // an id-based extension (OBJECTID) is not there to guess with
    expect((await run(a, 'UID FETCH 1:* (EMAILID)')).tagged).toMatch(/^BAD /);
    // COPY, MOVE and APPEND towards B's folder names land nowhere (A has no such folder)
    for (const target of ['"Priv&AOk-"', '"Patients/Dupont"', `"${B}/INBOX"`, '"user/dr.wilson/INBOX"']) {
      expect((await run(a, `UID COPY 1 ${target}`)).tagged).toMatch(/^NO \[TRYCREATE\] /);
      expect((await run(a, `UID MOVE 1 ${target}`)).tagged).toMatch(/^NO \[TRYCREATE\] /);
    }
    // QRESYNC with B's UIDVALIDITY tells nothing of B
    await run(a, 'ENABLE QRESYNC');
    const resync = await run(a, `SELECT INBOX (QRESYNC (${bInbox.uidValidity} 1))`);
    expect(resync.untagged.join('\n')).not.toMatch(/UID [3-9]\b/);

    // A's folder of the same name as B's is A's own, empty, and does not touch B's
    expect((await run(a, 'CREATE "Priv&AOk-"')).tagged).toMatch(/^OK /);
    expect((await run(a, 'STATUS "Priv&AOk-" (MESSAGES)')).untagged).toEqual(['* STATUS "Priv&AOk-" (MESSAGES 0)']);
    expect((await run(a, 'UID COPY 1 "Priv&AOk-"')).tagged).toMatch(/^OK \[COPYUID /);

    // IDLE in A's INBOX hears nothing when B's mail changes
    await run(a, 'SELECT INBOX');
    a.write('i IDLE\r\n');
    expect(await a.line()).toMatch(/^\+ /);
    const sent = await trySend(world.session(A), { from: A, to: B, subject: 'Pendant que A attend', text: 'pour B' });
    expect(sent.ok).toBe(true);
    const b2 = flow(B);
    await b2.connect();
    await b2.mailboxOpen('INBOX');
    await b2.messageFlagsAdd('1:*', ['\\Seen'], { uid: true });
    await b2.messageDelete('1', { uid: true });
    expect(await a.silent(500)).toBe(true);
    a.write('DONE\r\n');
    expect((await a.until('i')).at(-1)).toMatch(/^i OK/);

    // B's mailbox is as before, but for what B itself did just now
    const after = await snapshot(B);
    const unchanged = (s: FolderSnapshot[]) => s.filter((f) => f.name !== 'INBOX');
    expect(unchanged(after)).toEqual(unchanged(before));
    const bInboxAfter = after.find((f) => f.name === 'INBOX')!;
    expect(bInboxAfter.messages.map((m) => m.uid)).toEqual([2, 3, 4, 5, 6]);
    expect(bInboxAfter.messages.every((m) => m.flags.includes('\\Seen') && !m.flags.includes('\\Deleted'))).toBe(true);
    // and B, logged in, still sees all of it
    const mailbox = await b2.mailboxOpen('Privé');
    expect(mailbox.exists).toBe(1);
    await b2.logout();
  });
});

describe('a citizen has no IMAP login', () => {
  it('is refused with AUTHORIZATIONFAILED with the right password, on both ports, by LOGIN and AUTHENTICATE', async () => {
    for (const ins of [INS.jeanne, INS.paul]) {
      const address = citizen(ins);
      const r = await raw();
      const login = await run(r, `LOGIN "${address}" "${PASSWORD}"`);
      expect(login.tagged).toMatch(/^NO \[AUTHORIZATIONFAILED\] .* \/ .*webmail/);
      const sasl = await run(r, `AUTHENTICATE PLAIN ${b64(`\0${address}\0${PASSWORD}`)}`);
      expect(sasl.tagged).toMatch(/^NO \[AUTHORIZATIONFAILED\] /);
      // the wrong password says only that the credentials are wrong
      expect((await run(r, `LOGIN "${address}" "not the password"`)).tagged).toMatch(/^NO \[AUTHENTICATIONFAILED\] /);
      // and nothing of a mailbox was opened
      expect((await run(r, 'SELECT INBOX')).tagged).toMatch(/^BAD .*Log in first/);
    }
    // the plain port, after STARTTLS
    const plain = await RawImap.connect({ port: world.server.ports.imap, ca: world.ca });
    open.push(plain);
    await plain.line();
    expect((await plain.command('s', 'STARTTLS')).at(-1)).toMatch(/^s OK/);
    await plain.upgrade();
    expect((await run(plain, `LOGIN "${citizen(INS.jeanne)}" "${PASSWORD}"`)).tagged).toMatch(/^NO \[AUTHORIZATIONFAILED\] /);
    // a client library sees a refused login too
    const client = flow(citizen(INS.jeanne));
    await expect(client.connect()).rejects.toMatchObject({ authenticationFailed: true });
  });

  it('is refused with a client certificate of the CA naming the citizen (AUTHENTICATE EXTERNAL)', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'imap-citizen-cert-'));
    const files = issueCertificate(world.box.certDir, citizen(INS.jeanne), true, out);
    const r = await RawImap.connect({ port: world.server.ports.imaps, tls: true, ca: world.ca, cert: readFileSync(files.cert), key: readFileSync(files.key) });
    open.push(r);
    expect(await r.line()).toMatch(/AUTH=EXTERNAL/);
    expect((await run(r, 'AUTHENTICATE EXTERNAL =')).tagged).toMatch(/^NO \[AUTHORIZATIONFAILED\] /);
  });
});

describe('a pharmacy reads a citizen’s prescription over IMAP', () => {
  it('receives it from the webmail door (the pipeline, in another process) and downloads the XDM', async () => {
    const pharmacy = flow(PHARMACY);
    await pharmacy.connect();
    // imapflow updates the mailbox object it returned: keep the count as it was
    const start = (await pharmacy.mailboxOpen('INBOX')).exists;
    const exists: number[] = [];
    pharmacy.on('exists', (e: { count: number }) => exists.push(e.count));
    void pharmacy.idle();
    await waitFor('the pharmacy to idle', () => pharmacy.idling);

    // The webmail's door is the pipeline itself; this test process runs it over the server's data.
    const config = loadConfig({ env: { ...world.box.env, MSS_LOG_LEVEL: 'silent' } });
    const store = openStore(world.box.dataDir);
    try {
      const pipeline = createPipeline({ store, blobs: fsBlobStore(world.box.dataDir), config, log: createLogger('silent'), events: { committed: () => undefined } });
      const jeanne = citizen(INS.jeanne);
      const refused = await submit(pipeline, { origin: 'webmail', address: jeanne, authenticatedAs: jeanne, client: { ip: '127.0.0.1' } }, [PHARMACY], () =>
        compose({ from: jeanne, to: PHARMACY, subject: 'Sans ordonnance', text: 'Bonjour' }),
      );
      expect(refused.accepted).toBe(false);
      const outcome = await submit(pipeline, { origin: 'webmail', address: jeanne, authenticatedAs: jeanne, client: { ip: '127.0.0.1' } }, [PHARMACY], () =>
        compose({
          from: jeanne,
          to: PHARMACY,
          subject: 'Mon ordonnance à préparer',
          text: 'Bonjour, voici mon ordonnance. Merci.',
          attachments: [{ filename: 'IHE_XDM.ZIP', content: PRESCRIPTION, contentType: 'application/zip' }],
        }),
      );
      expect(outcome.accepted, JSON.stringify(outcome)).toBe(true);
    } finally {
      await store.close();
    }

    // pushed to the idling pharmacy by the server, which learnt of it from the other process
    await waitFor('the prescription to be pushed', () => exists.includes(start + 1), { lastSeen: () => exists });
    const message = await pharmacy.fetchOne('*', { uid: true, envelope: true, bodyStructure: true, flags: true });
    expect(message && message.envelope?.subject).toBe('Mon ordonnance à préparer');
    expect(message && message.envelope?.from?.[0]?.address).toBe(citizen(INS.jeanne));
    expect(message && message.flags?.has('\\Seen')).toBe(false);
    if (!message) throw new Error('no FETCH answer for the newest message');
    const attachment = message.bodyStructure?.childNodes?.find((p) => p.dispositionParameters?.filename === 'IHE_XDM.ZIP');
    expect(attachment).toMatchObject({ type: 'application/zip', encoding: 'base64' });
    const download = await pharmacy.download(String(message.uid), attachment!.part, { uid: true });
    const chunks: Buffer[] = [];
    for await (const chunk of download.content ?? []) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(PRESCRIPTION)).toBe(true);
    // the citizen's own mailbox stays out of the pharmacy's reach
    expect((await pharmacy.list()).map((f) => f.path).sort()).toEqual(['Drafts', 'INBOX', 'Sent', 'Trash']);
    await pharmacy.logout();
  });
});
