/**
 * Real clients from Debian syncing a mailbox against the real server: Python's imaplib (a
 * scripted client doing what a syncing client does, test/helpers/imaplib-sync.py) and, where
 * the `mbsync` binary is there (Debian package isync, which .ci/run installs), a full pull into
 * a Maildir and a two-way flag sync. What they got is compared byte for byte with what the
 * store holds.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fsBlobStore } from '../../src/store/fs/blobs.js';
import { openStore } from '../../src/store/open.js';
import type { StoredMessage } from '../../src/store/types.js';
import { ROOT } from '../helpers/cli.js';
import { COLLEAGUE, DOCTOR, PASSWORD, startWorld, trySend, type World } from '../helpers/world.js';

const SCRIPT = path.join(ROOT, 'test/helpers/imaplib-sync.py');
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const hasMbsync = spawnSync('mbsync', ['--version'], { encoding: 'utf8' }).status === 0;

interface Stored {
  message: StoredMessage;
  bytes: Buffer;
}

/** What the store holds in a folder of a mailbox, with each message's bytes, by UID. */
async function storedFolder(world: World, address: string, folder: string): Promise<Stored[]> {
  const store = openStore(world.box.dataDir);
  const blobs = fsBlobStore(world.box.dataDir);
  try {
    const messages = (await store.messages.list(address, folder)).sort((a, b) => a.uid - b.uid);
    return await Promise.all(messages.map(async (message) => ({ message, bytes: await blobs.read(message.blobId) })));
  } finally {
    await store.close();
  }
}

async function deliver(world: World, mail: Parameters<typeof trySend>[1]): Promise<void> {
  const sent = await trySend(world.session(COLLEAGUE), { from: COLLEAGUE, to: DOCTOR, ...mail });
  expect(sent.ok, sent.response).toBe(true);
}

/** The varied mail a practice receives: documents, UTF-8, a big scan, HTML with a text part. */
async function deliverCorpus(world: World): Promise<void> {
  const fixture = (name: string) => readFileSync(path.join(ROOT, 'fixtures/documents', name));
  await deliver(world, { subject: 'Résultats — bilan sanguin ✓', text: 'Bonjour,\n\nvoici les résultats : glycémie à jeun 0,95 g/l.\n' });
  await deliver(world, {
    subject: 'Compte rendu (XDM)',
    text: 'Le compte rendu de la patiente, au format CDA dans son XDM.',
    attachments: [{ filename: 'IHE_XDM.ZIP', content: fixture('cr-v1.zip'), contentType: 'application/zip' }],
  });
  await deliver(world, {
    subject: 'CDA nu',
    text: 'Un document CDA seul.',
    attachments: [{ filename: 'document.xml', content: fixture('bare-cda.xml'), contentType: 'text/xml' }],
  });
  await deliver(world, {
    subject: 'Imagerie — 2 Mo',
    text: 'Les clichés en pièce jointe.',
    attachments: [{ filename: 'cliches.bin', content: randomBytes(2 * 1024 * 1024), contentType: 'application/octet-stream' }],
  });
  await deliver(world, {
    subject: 'Ordonnance de sortie 日本語 Ελληνικά',
    text: 'Texte brut : 1 comprimé matin et soir.',
    html: '<p>Texte <b>riche</b> : 1 comprimé matin et soir.</p>',
  });
  await deliver(world, { subject: 'À supprimer', text: 'Ce message sera effacé par le client.' });
}

/** Runs the imaplib client; when it says it is idling, `whileIdle` runs (a delivery). */
function runImaplib(config: Record<string, unknown>, whileIdle: () => Promise<void>): Promise<{ code: number | null; events: Array<Record<string, unknown>>; stderr: string }> {
  const file = path.join(String(config.out), '..', 'imaplib.json');
  writeFileSync(file, JSON.stringify(config));
  const child = spawn('python3', [SCRIPT, file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const events: Array<Record<string, unknown>> = [];
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  let idled: Promise<void> = Promise.resolve();
  createInterface({ input: child.stdout }).on('line', (line) => {
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(line) as Record<string, unknown>;
    } catch {
      event = { event: 'text', line }; // not the script's own output: kept for the failure message
    }
    events.push(event);
    if (event.event === 'idling') idled = whileIdle();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      idled.then(() => resolve({ code, events, stderr }), reject);
    });
  });
}

describe('a real client syncs a mailbox', () => {
  let world: World;

  beforeAll(async () => {
    world = await startWorld();
    await deliverCorpus(world);
  });
  afterAll(async () => {
    await world?.stop();
  });

  it("Python's imaplib: IMAPS and STARTTLS, LIST, SELECT, UID SEARCH/FETCH, STORE, APPEND, EXPUNGE, IDLE — byte for byte", async () => {
    const before = await storedFolder(world, DOCTOR, 'INBOX');
    expect(before).toHaveLength(6);
    const doomed = before.find((s) => s.message.subject === 'À supprimer')!;
    const work = path.join(world.box.dir, 'imaplib');
    const out = path.join(work, 'out');
    mkdirSync(out, { recursive: true });
    const appended = Buffer.from(
      `From: ${DOCTOR}\r\nTo: ${COLLEAGUE}\r\nSubject: =?UTF-8?Q?R=C3=A9ponse?=\r\nDate: Mon, 06 May 2024 10:00:00 +0200\r\n` +
        `Message-ID: <sent-1@${DOCTOR.split('@')[1]}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n` +
        `Content-Transfer-Encoding: 8bit\r\n\r\nMerci, bien reçu.\r\n`,
    );
    writeFileSync(path.join(work, 'sent.eml'), appended);

    const run = await runImaplib(
      {
        host: '127.0.0.1',
        imaps: world.server.ports.imaps,
        imap: world.server.ports.imap,
        ca: path.join(world.box.certDir, 'ca.crt'),
        user: DOCTOR,
        password: PASSWORD,
        out,
        append: path.join(work, 'sent.eml'),
        expunge: doomed.message.uid,
      },
      () => deliver(world, { subject: 'Arrivé pendant IDLE', text: 'Poussé au client.' }),
    );
    const report = run.events.at(-1) as { event: string; error?: string; imaps: any; starttls: any };
    expect(run.code, `${JSON.stringify(report)}\n${run.stderr}`).toBe(0);
    expect(report.event).toBe('report');
    const { imaps, starttls } = report;

    // IMAPS: implicit TLS, capabilities in the greeting, the standard folders with SPECIAL-USE
    expect(['TLSv1.2', 'TLSv1.3']).toContain(imaps.tls);
    expect(imaps.greetingCapabilities).toEqual(expect.arrayContaining(['IMAP4REV1', 'IDLE', 'UIDPLUS', 'AUTH=PLAIN']));
    expect(imaps.greetingCapabilities).not.toContain('STARTTLS');
    const attributes = Object.fromEntries((imaps.folders as Array<{ name: string; attributes: string[] }>).map((f) => [f.name, f.attributes]));
    expect(Object.keys(attributes)).toEqual(expect.arrayContaining(['INBOX', 'Sent', 'Drafts', 'Trash']));
    expect(attributes.Sent).toContain('\\Sent');
    expect(attributes.Trash).toContain('\\Trash');

    // SELECT and UID SEARCH ALL see what the store holds; UID FETCH gives each message exactly
    const inbox = await storedFolder(world, DOCTOR, 'INBOX');
    expect(imaps.exists).toBe(6);
    expect(imaps.searchAll).toEqual(before.map((s) => s.message.uid));
    expect(imaps.fetched.map((f: { uid: number }) => f.uid)).toEqual(imaps.searchAll);
    for (const s of before) {
      const got = readFileSync(path.join(out, `inbox-${s.message.uid}.eml`));
      expect(got.equals(s.bytes), `message ${s.message.uid} (${s.message.subject}) differs`).toBe(true);
      const fetched = imaps.fetched.find((f: { uid: number }) => f.uid === s.message.uid);
      expect(fetched.size).toBe(s.message.size);
      expect(fetched.size).toBe(s.bytes.length);
    }
    expect(Math.max(...imaps.fetched.map((f: { bytes: number }) => f.bytes))).toBeGreaterThan(2 * 1024 * 1024);

    // BODY.PEEK did not mark anything read; STORE \Seen did, for that message only, in the store too
    for (const flags of Object.values(imaps.flagsAfterPeek as Record<string, string[]>)) expect(flags).not.toContain('\\Seen');
    const first = before[0]!.message.uid;
    expect(imaps.store.join(' ')).toMatch(new RegExp(`UID ${first}\\b.*\\\\Seen|\\\\Seen.*UID ${first}\\b`));
    expect(imaps.flagsAfterStore).toContain('\\Seen');
    expect(imaps.seenSearch).toEqual([first]);
    expect(inbox.find((s) => s.message.uid === first)!.message.flags).toContain('\\Seen');

    // APPEND to Sent answers APPENDUID, and the store holds exactly what was sent, \Seen
    expect(imaps.append.type).toBe('OK');
    const appendUid = /\[APPENDUID (\d+) (\d+)\]/.exec(imaps.append.answer.join(' '));
    expect(appendUid, imaps.append.answer.join(' ')).not.toBeNull();
    const sent = await storedFolder(world, DOCTOR, 'Sent');
    const copy = sent.find((s) => s.message.uid === Number(appendUid![2]))!;
    expect(copy.bytes.equals(appended)).toBe(true);
    expect(copy.message.flags).toContain('\\Seen');
    const store = openStore(world.box.dataDir);
    try {
      const box = (await store.mailboxes.byAddress(DOCTOR))!;
      expect((await store.folders.byName(box.id, 'Sent'))!.uidValidity).toBe(Number(appendUid![1]));
    } finally {
      await store.close();
    }

    // EXPUNGE said the sequence number of the deleted message, which is gone from the store
    const doomedSeq = before.indexOf(doomed) + 1;
    expect(imaps.expunge).toEqual({ type: 'OK', sequence: [String(doomedSeq)] });
    expect(imaps.afterExpunge).toEqual(before.filter((s) => s !== doomed).map((s) => s.message.uid));
    expect(inbox.map((s) => s.message.uid)).not.toContain(doomed.message.uid);

    // IDLE: the SMTP delivery was pushed as EXISTS, and the new message fetched exactly
    const pushed = inbox.find((s) => s.message.subject === 'Arrivé pendant IDLE')!;
    expect(imaps.idle.heard).toContain(`* ${inbox.length} EXISTS`);
    expect(imaps.idle.done).toMatch(/ OK /);
    expect(imaps.pushed).toEqual({ uid: pushed.message.uid, size: pushed.message.size });
    expect(readFileSync(path.join(out, `pushed-${pushed.message.uid}.eml`)).equals(pushed.bytes)).toBe(true);
    expect(imaps.logout).toBe('BYE');

    // STARTTLS: the plain port refuses a login in clear, then upgrades and serves the same bytes
    expect(starttls.plainCapabilities).toEqual(expect.arrayContaining(['STARTTLS', 'LOGINDISABLED']));
    expect(starttls.clearLogin).toMatch(/PRIVACYREQUIRED/);
    expect(['TLSv1.2', 'TLSv1.3']).toContain(starttls.tls);
    expect(starttls.tlsCapabilities).toContain('AUTH=PLAIN');
    expect(starttls.tlsCapabilities).not.toContain('STARTTLS');
    expect(starttls.tlsCapabilities).not.toContain('LOGINDISABLED');
    expect(starttls.status).toMatch(new RegExp(`MESSAGES ${inbox.length}\\b`));
    expect(starttls.digests).toEqual(Object.fromEntries(inbox.map((s) => [String(s.message.uid), sha256(s.bytes)])));
    expect(starttls.sizes).toEqual(Object.fromEntries(inbox.map((s) => [String(s.message.uid), s.bytes.length])));
    expect(starttls.sent).toEqual([{ uid: copy.message.uid, flags: expect.arrayContaining(['\\Seen']), sha256: sha256(appended) }]);
  });

  // Skipped only where the binary is truly absent; .ci/run installs it, so CI always runs it.
  const mbsyncTitle = hasMbsync ? 'mbsync (isync)' : 'mbsync (isync): SKIPPED, no mbsync binary here (apt-get install isync; .ci/run does)';
  describe.skipIf(!hasMbsync)(mbsyncTitle, () => {
    it('pulls every folder into a Maildir, then syncs new mail and flags both ways', async () => {
      const home = path.join(world.box.dir, 'mbsync');
      const maildir = path.join(home, 'Mail');
      mkdirSync(maildir, { recursive: true });
      // isync 1.4 checks DNS names only, not the certificate's IP address: it connects to
      // "localhost" with the CA where that name is 127.0.0.1 alone, else to 127.0.0.1 with the
      // server's own certificate pinned (so no traffic ever goes elsewhere).
      const loopbackOnly = (await lookup('localhost', { all: true })).every((a) => a.address === '127.0.0.1');
      const trust = loopbackOnly ? path.join(world.box.certDir, 'ca.crt') : path.join(world.box.certDir, 'server.crt');
      const config = path.join(home, 'mbsyncrc');
      writeFileSync(
        config,
        [
          'IMAPAccount gateway',
          `Host ${loopbackOnly ? 'localhost' : '127.0.0.1'}`,
          `Port ${world.server.ports.imaps}`,
          `User ${DOCTOR}`,
          `Pass "${PASSWORD}"`,
          // isync 1.4 (Debian 12) spells these SSLType / SSLVersions; 1.5 renamed them TLS…
          'SSLType IMAPS',
          'SSLVersions TLSv1.2 TLSv1.3',
          'SystemCertificates no',
          `CertificateFile ${trust}`,
          '',
          'IMAPStore remote',
          'Account gateway',
          '',
          'MaildirStore local',
          `Path ${maildir}/`,
          `Inbox ${maildir}/INBOX`,
          'SubFolders Verbatim',
          '',
          'Channel all',
          'Far :remote:',
          'Near :local:',
          'Patterns *',
          'Create Near',
          'SyncState *',
          '',
        ].join('\n'),
      );
      const mbsync = (sync: string) => {
        const r = spawnSync('mbsync', ['-c', config, '-a', ...(sync === 'pull' ? ['--pull'] : [])], { encoding: 'utf8', env: { ...process.env, HOME: home }, timeout: 40_000 });
        expect(r.status, `mbsync ${sync}: ${r.stdout}\n${r.stderr}`).toBe(0);
      };
      /** the messages of a Maildir folder, by file name (the flags are after ":2,") */
      const maildirFolder = (folder: string) => {
        const dir = path.join(maildir, folder);
        return ['cur', 'new'].flatMap((sub) => readdirSync(path.join(dir, sub)).map((name) => ({ file: path.join(dir, sub, name), flags: name.split(':2,')[1] ?? '', bytes: readFileSync(path.join(dir, sub, name)) })));
      };
      // A Maildir keeps Unix line ends, and mbsync adds its X-TUID header (to find a message it
      // copied again); the rest is the server's bytes unchanged.
      const unix = (bytes: Buffer) => bytes.toString('latin1').replace(/\r\n/g, '\n');
      const asMaildir = (bytes: Buffer) => sha256(Buffer.from(unix(bytes).replace(/^X-TUID: [^\n]*\n/m, ''), 'latin1'));

      mbsync('pull');
      for (const folder of ['INBOX', 'Sent']) {
        const onServer = await storedFolder(world, DOCTOR, folder);
        const local = maildirFolder(folder);
        expect(local.map((m) => asMaildir(m.bytes)).sort(), folder).toEqual(onServer.map((s) => asMaildir(s.bytes)).sort());
      }
      expect(readdirSync(maildir).sort()).toEqual(expect.arrayContaining(['Drafts', 'INBOX', 'Sent', 'Trash']));

      // New mail and a flag set on the server arrive with the next sync ...
      await deliver(world, { subject: 'Après la première synchronisation', text: 'Nouveau.' });
      const store = openStore(world.box.dataDir);
      let flaggedDigest: string;
      try {
        const box = (await store.mailboxes.byAddress(DOCTOR))!;
        const inbox = (await store.folders.byName(box.id, 'INBOX'))!;
        const [target] = await storedFolder(world, DOCTOR, 'INBOX');
        flaggedDigest = asMaildir(target!.bytes);
        await store.messages.setFlags(box.id, inbox.id, [target!.message.uid], { op: 'add', flags: ['\\Flagged'] });
      } finally {
        await store.close();
      }
      mbsync('all');
      const inbox = await storedFolder(world, DOCTOR, 'INBOX');
      let local = maildirFolder('INBOX');
      expect(local.map((m) => asMaildir(m.bytes)).sort()).toEqual(inbox.map((s) => asMaildir(s.bytes)).sort());
      expect(local.find((m) => asMaildir(m.bytes) === flaggedDigest)!.flags).toContain('F');

      // ... and a flag set in the Maildir (replied, in the file name) reaches the server.
      const newest = inbox.at(-1)!;
      const file = local.find((m) => asMaildir(m.bytes) === asMaildir(newest.bytes))!;
      const dir = path.join(path.dirname(path.dirname(file.file)), 'cur');
      const base = path.basename(file.file).split(':2,')[0];
      renameSync(file.file, path.join(dir, `${base}:2,${[...new Set(`${file.flags}R`)].sort().join('')}`));
      mbsync('all');
      const after = (await storedFolder(world, DOCTOR, 'INBOX')).find((s) => s.message.uid === newest.message.uid)!;
      expect(after.message.flags).toContain('\\Answered');
      local = maildirFolder('INBOX');
      expect(local).toHaveLength(inbox.length);
    });
  });
});
