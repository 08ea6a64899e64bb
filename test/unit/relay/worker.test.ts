/**
 * The relay worker against a real smtp-server peer on loopback, with real certificates and a
 * real SQLite store. Retries are one second apart and the worker is kicked; the tests wait for
 * queue states, never for durations.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { simpleParser } from 'mailparser';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/wait.js';
import { parseConfig } from '../../../src/config.js';
import { createLogger } from '../../../src/log.js';
import { startRelayWorker, type DeliverLocal, type Worker } from '../../../src/relay/worker.js';
import { fsBlobStore } from '../../../src/store/fs/blobs.js';
import type { BlobStore } from '../../../src/store/types.js';
import { openStore } from '../../../src/store/open.js';
import type { Store } from '../../../src/store/types.js';
import { initCertificates, readTlsMaterial, type TlsMaterial } from '../../../src/tls/certificates.js';
import { startPeer, type Peer, type RcptAnswer } from './peer.js';
import { indexMessage } from '../../../src/mime/indexer.js';

const SENDER = 'dr@local.test';
const MESSAGE = [
  'From: Dr Martin <dr@local.test>',
  'To: x@peer.test',
  'Subject: =?UTF-8?Q?Compte_rendu_d=27hospitalisation?=',
  'Message-ID: <m1@local.test>',
  'Date: Wed, 01 Jan 2025 10:00:00 +0000',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Corps confidentiel du message.',
  '',
].join('\r\n');

let root: string;
let ourTls: TlsMaterial;
let rogueTls: TlsMaterial;

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'mss-relay-'));
  initCertificates(path.join(root, 'certs'), 'localhost', '127.0.0.1');
  initCertificates(path.join(root, 'rogue'), 'localhost', '127.0.0.1');
  ourTls = readTlsMaterial(path.join(root, 'certs'));
  rogueTls = readTlsMaterial(path.join(root, 'rogue'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Row {
  id: number;
  recipient: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  last_error: string | null;
}

interface Setup {
  store: Store;
  blobs: BlobStore;
  worker: Worker;
  dsns: Array<Parameters<DeliverLocal>[0]>;
  rows(): Row[];
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

let counter = 0;
async function setup(port: number): Promise<Setup> {
  const dataDir = path.join(root, `data-${++counter}`);
  const store = openStore(dataDir);
  const blobs = fsBlobStore(dataDir);
  await store.mailboxes.create({ address: SENDER, kind: 'PER' });
  await store.trust.add('peer.test', 'test');
  const config = parseConfig({
    hostname: 'mss.local.test',
    relay: { firstRetrySeconds: 1, maxRetrySeconds: 1, routes: { 'peer.test': `127.0.0.1:${port}` } },
  });
  const dsns: Setup['dsns'] = [];
  const worker = startRelayWorker({
    store,
    blobs,
    config,
    log: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
    tls: ourTls,
    deliverLocal: async (message) => void dsns.push(message),
  });
  const db = new Database(path.join(dataDir, 'gateway.sqlite'), { readonly: true });
  cleanups.push(async () => {
    await worker.stop();
    db.close();
    await store.close();
  });
  return {
    store,
    blobs,
    worker,
    dsns,
    rows: () => db.prepare('SELECT id, recipient, state, attempts, last_error FROM relay_queue ORDER BY id').all() as Row[],
  };
}

async function peer(tls: TlsMaterial, options: Parameters<typeof startPeer>[1] = {}): Promise<Peer> {
  const started = await startPeer(tls, options);
  cleanups.push(() => started.close());
  return started;
}

async function queue(s: Setup, recipients: string[], options: { expired?: boolean; sender?: string } = {}): Promise<void> {
  const draft = await s.blobs.create();
  draft.stream.write(MESSAGE);
  const size = await s.blobs.persist(draft);
  const later = new Date(Date.now() + 24 * 3600 * 1000);
  await s.store.messages.deliver({
    blob: { id: draft.id, size },
    envelopeSender: options.sender ?? SENDER,
    messageId: '<m1@local.test>',
    subject: "Compte rendu d'hospitalisation",
    from: SENDER,
    date: new Date(),
    hasAttachments: false,
    mime: indexMessage(Buffer.from('Subject: test\r\n\r\nbody\r\n')),
    targets: [],
    relay: recipients,
    conversations: [],
    contacts: [],
    notify: [],
    audit: [],
    filings: [],
    expiresAt: { professional: later, citizen: later },
    relayExpiresAt: options.expired ? new Date(Date.now() - 1000) : later,
  });
  s.worker.kick();
}


/** A loopback port with nothing listening on it (yet). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const settled = (s: Setup) => () => s.rows().every((r) => r.state !== 'pending') && s.rows();

describe('relay worker', () => {
  it('delivers over mutual TLS, several recipients in one transaction', async () => {
    const p = await peer(ourTls);
    const s = await setup(p.port);
    await queue(s, ['x@peer.test', 'y@peer.test']);

    const rows = await waitFor('delivery', settled(s));
    expect(rows.map((r) => [r.recipient, r.state, r.attempts])).toEqual([
      ['x@peer.test', 'delivered', 1],
      ['y@peer.test', 'delivered', 1],
    ]);
    expect(p.received).toHaveLength(1);
    expect(p.received[0]).toMatchObject({ from: SENDER, to: ['x@peer.test', 'y@peer.test'], secure: true, clientCertificate: 'localhost' });
    expect(p.received[0]!.data.toString()).toBe(MESSAGE);
    const history = await s.store.audit.forMailbox(SENDER);
    expect(history.filter((h) => h.action === 'message.relay' && h.outcome === 'delivered').map((h) => h.target).sort()).toEqual([
      'x@peer.test',
      'y@peer.test',
    ]);
    expect(s.dsns).toHaveLength(0);
  });

  it('retries after a 451 and then delivers', async () => {
    const p = await peer(ourTls, { rcpt: (_r, n) => (n === 1 ? [451, '4.3.0 Try again later'] : undefined) });
    const s = await setup(p.port);
    await queue(s, ['x@peer.test']);

    const deferred = await waitFor('a deferral', () => s.rows().find((r) => r.attempts === 1 && r.state === 'pending'));
    expect(deferred.last_error).toMatch(/^451 4\.3\.0 Try again later/);
    const [row] = await waitFor('delivery', settled(s));
    expect(row).toMatchObject({ state: 'delivered', attempts: 2, last_error: null });
    expect(p.received).toHaveLength(1);
    expect(s.dsns).toHaveLength(0);
  });

  it('retries while the peer is down, and delivers once it is up', async () => {
    const port = await closedPort();
    const s = await setup(port);
    await queue(s, ['x@peer.test']);

    const deferred = await waitFor('a deferral', () => s.rows().find((r) => r.attempts >= 1));
    expect(deferred.state).toBe('pending');
    expect(deferred.last_error).toMatch(/^4\.4\.1 .*ECONNREFUSED/);

    const p = await peer(ourTls, { port });
    s.worker.kick();
    const [row] = await waitFor('delivery', settled(s));
    expect(row!.state).toBe('delivered');
    expect(p.received).toHaveLength(1);
  });

  it('fails a refused recipient for good and tells the sender with a DSN', async () => {
    const p = await peer(ourTls, { rcpt: (r) => (r === 'x@peer.test' ? [550, '5.1.1 Destinataire inconnu / unknown recipient'] : undefined) });
    const s = await setup(p.port);
    await queue(s, ['x@peer.test', 'y@peer.test']);

    const rows = await waitFor('outcomes', settled(s));
    expect(rows.map((r) => [r.recipient, r.state])).toEqual([
      ['x@peer.test', 'failed'],
      ['y@peer.test', 'delivered'],
    ]);
    expect(rows[0]!.last_error).toMatch(/^550 5\.1\.1 Destinataire inconnu/);
    expect(p.received.map((m) => m.to)).toEqual([['y@peer.test']]);

    expect(s.dsns).toHaveLength(1);
    const dsn = s.dsns[0]!;
    expect(dsn).toMatchObject({ mailbox: SENDER, envelopeSender: '', audit: { action: 'message.dsn' } });
    const mail = await simpleParser(dsn.raw);
    expect(mail.subject).toBe("Non remis / Undelivered: Compte rendu d'hospitalisation");
    expect(mail.text).toContain('Final-Recipient: rfc822; x@peer.test');
    expect(mail.text).toContain('Status: 5.1.1');
    expect(mail.text).toContain('Remote-MTA: dns; 127.0.0.1');
    expect(mail.text).toContain('Diagnostic-Code: smtp; 550 5.1.1 Destinataire inconnu / unknown recipient');
    expect(mail.text).not.toContain('y@peer.test');
    const headers = mail.attachments.find((a) => a.contentType === 'text/rfc822-headers');
    expect(headers?.content.toString()).toContain('Message-ID: <m1@local.test>');
    // The DSN carries the original's headers, never its body.
    expect(dsn.raw.toString()).not.toContain('Corps confidentiel');

    const history = await s.store.audit.forMailbox(SENDER);
    expect(history.find((h) => h.target === 'x@peer.test')).toMatchObject({ action: 'message.relay', outcome: 'refused' });
  });

  it('applies a refusal of the data to every recipient of the transaction', async () => {
    const p = await peer(ourTls, { data: () => [554, '5.6.0 Message refused'] });
    const s = await setup(p.port);
    await queue(s, ['x@peer.test', 'y@peer.test']);

    const rows = await waitFor('outcomes', settled(s));
    expect(rows.map((r) => r.state)).toEqual(['failed', 'failed']);
    expect(s.dsns).toHaveLength(1);
    const mail = await simpleParser(s.dsns[0]!.raw);
    expect(mail.text).toContain('Final-Recipient: rfc822; x@peer.test');
    expect(mail.text).toContain('Final-Recipient: rfc822; y@peer.test');
    expect(mail.text).toContain('Status: 5.6.0');
  });

  it('abandons a message past its delay with a 4.4.7 DSN, without trying the peer', async () => {
    const p = await peer(ourTls);
    const s = await setup(p.port);
    await queue(s, ['x@peer.test'], { expired: true });

    const [row] = await waitFor('expiry', settled(s));
    expect(row!.state).toBe('failed');
    expect(row!.last_error).toMatch(/expired/);
    expect(p.mailFrom).toHaveLength(0);
    expect(s.dsns).toHaveLength(1);
    const mail = await simpleParser(s.dsns[0]!.raw);
    expect(mail.text).toContain('Status: 4.4.7');
    expect(mail.text).toContain('Remise abandonnée');
    expect(mail.text).toContain('Delivery abandoned');
  });

  it('never sends a DSN about a message that had no sender', async () => {
    const p = await peer(ourTls, { rcpt: () => [550, 'No such user'] });
    const s = await setup(p.port);
    await queue(s, ['x@peer.test'], { sender: '' });

    const [row] = await waitFor('failure', settled(s));
    expect(row!.state).toBe('failed');
    expect(s.dsns).toHaveLength(0);
  });

  it('does not deliver to a peer whose certificate our CA did not sign', async () => {
    const p = await peer(rogueTls);
    const s = await setup(p.port);
    await queue(s, ['x@peer.test']);

    const deferred = await waitFor('a TLS failure', () => s.rows().find((r) => r.attempts >= 1));
    expect(deferred.state).toBe('pending');
    expect(deferred.last_error).toMatch(/^4\.7\.5 TLS/);
    expect(p.mailFrom).toHaveLength(0);
    expect(p.received).toHaveLength(0);
    expect(s.dsns).toHaveLength(0);
  });

  it('never falls back to clear text when the peer offers no STARTTLS', async () => {
    const p = await peer(ourTls, { noStartTls: true });
    const s = await setup(p.port);
    await queue(s, ['x@peer.test']);

    const deferred = await waitFor('a TLS failure', () => s.rows().find((r) => r.attempts >= 1));
    expect(deferred.state).toBe('pending');
    expect(p.mailFrom).toHaveLength(0);
    expect(p.received).toHaveLength(0);
  });

  it('keeps a peer that answers per recipient apart: accepted, refused and deferred at once', async () => {
    const answers: RcptAnswer = (r, n) => {
      if (r === 'y@peer.test') return [550, 'Unknown user'];
      if (r === 'z@peer.test' && n === 1) return [452, 'Mailbox busy'];
      return undefined;
    };
    const p = await peer(ourTls, { rcpt: answers });
    const s = await setup(p.port);
    await queue(s, ['x@peer.test', 'y@peer.test', 'z@peer.test']);

    const rows = await waitFor('outcomes', settled(s));
    expect(rows.map((r) => [r.recipient, r.state, r.attempts])).toEqual([
      ['x@peer.test', 'delivered', 1],
      ['y@peer.test', 'failed', 1],
      ['z@peer.test', 'delivered', 2],
    ]);
    expect(p.received.map((m) => m.to)).toEqual([['x@peer.test'], ['z@peer.test']]);
    expect(s.dsns).toHaveLength(1);
    // A refusal without an enhanced code is reported as 5.0.0.
    const mail = await simpleParser(s.dsns[0]!.raw);
    expect(mail.text).toContain('Final-Recipient: rfc822; y@peer.test');
    expect(mail.text).toContain('Status: 5.0.0');
    expect(mail.text).not.toContain('z@peer.test');
  });

  it('refuses to relay to a domain removed from the trust space', async () => {
    const p = await peer(ourTls);
    const s = await setup(p.port);
    await s.store.trust.remove('peer.test');
    await queue(s, ['x@peer.test']);

    const [row] = await waitFor('failure', settled(s));
    expect(row!.state).toBe('failed');
    expect(row!.last_error).toMatch(/^5\.7\.1 /);
    expect(p.mailFrom).toHaveLength(0);
    expect(s.dsns).toHaveLength(1);
  });

  it('stops promptly and leaves nothing scheduled', async () => {
    const s = await setup(await closedPort());
    await queue(s, ['x@peer.test']);
    await waitFor('an attempt', () => s.rows().find((r) => r.attempts >= 1));
    await s.worker.stop();
    const attempts = s.rows()[0]!.attempts;
    s.worker.kick(); // ignored once stopped
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(s.rows()[0]!.attempts).toBe(attempts);
  });
});
