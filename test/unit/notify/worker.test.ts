/**
 * The notification worker against a real smtp-server standing in for the configured relay, with
 * a real SQLite store. Waits for queue states, never for durations.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/wait.js';
import { parseConfig } from '../../../src/config.js';
import { createLogger } from '../../../src/log.js';
import { NOTIFICATION_SUBJECT } from '../../../src/notify/message.js';
import { startNotifyWorker } from '../../../src/notify/worker.js';
import type { Worker } from '../../../src/jobs/queue-runner.js';
import { fsBlobStore } from '../../../src/store/fs/blobs.js';
import { openStore } from '../../../src/store/open.js';
import type { Store } from '../../../src/store/types.js';
import { indexMessage } from '../../../src/mime/indexer.js';

const CITIZEN = '180017512345678@patient.mssante.fr';
const PERSONAL = 'jeanne@example.org';

let root: string;
beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'mss-notify-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Relay {
  port: number;
  mails: Array<{ to: string[]; mail: ParsedMail }>;
}

/** The operator's outgoing relay; `rcpt` may refuse with [code, text]. */
async function startRelay(rcpt?: (n: number) => [number, string] | undefined): Promise<Relay> {
  const mails: Relay['mails'] = [];
  let n = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onRcptTo(_address, _session, callback) {
      const answer = rcpt?.(++n);
      callback(answer ? Object.assign(new Error(answer[1]), { responseCode: answer[0] }) : undefined);
    },
    onData(stream, session, callback) {
      simpleParser(stream).then((mail) => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), mail });
        callback();
      }, callback);
    },
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.server.address() as AddressInfo).port)),
  );
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port, mails };
}

interface Setup {
  store: Store;
  worker: Worker;
  row(): { state: string; attempts: number; last_error: string | null };
}

let counter = 0;
async function setup(port: number, enabled = true): Promise<Setup> {
  const dataDir = path.join(root, `data-${++counter}`);
  const store = openStore(dataDir);
  const config = parseConfig({
    hostname: 'mss.local.test',
    relay: { firstRetrySeconds: 1, maxRetrySeconds: 1 },
    notify: { enabled, host: '127.0.0.1', port, webmailUrl: 'https://mss.local.test/' },
  });
  const worker = startNotifyWorker({ store, config, log: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent') });
  const db = new Database(path.join(dataDir, 'gateway.sqlite'), { readonly: true });
  cleanups.push(async () => {
    await worker.stop();
    db.close();
    await store.close();
  });

  // A message to a citizen, as the pipeline commits it: the notification rides along.
  const blobs = fsBlobStore(dataDir);
  const draft = await blobs.create();
  draft.stream.write('Subject: Résultats de biologie\r\n\r\nHémoglobine glyquée 9 %\r\n');
  const size = await blobs.persist(draft);
  const later = new Date(Date.now() + 24 * 3600 * 1000);
  await store.messages.deliver({
    blob: { id: draft.id, size },
    envelopeSender: 'labo@local.test',
    messageId: '<bio-1@local.test>',
    subject: 'Résultats de biologie',
    from: 'labo@local.test',
    date: new Date(),
    hasAttachments: false,
    mime: indexMessage(Buffer.from('Subject: test\r\n\r\nbody\r\n')),
    targets: [],
    relay: [],
    conversations: [],
    contacts: [],
    notify: [{ mailbox: CITIZEN, email: PERSONAL }],
    audit: [],
    filings: [],
    expiresAt: { professional: later, citizen: later },
    relayExpiresAt: later,
  });
  worker.kick();
  return {
    store,
    worker,
    row: () => db.prepare('SELECT state, attempts, last_error FROM notify_queue').get() as ReturnType<Setup['row']>,
  };
}


describe('notification worker', () => {
  it('sends the generic notification to the personal address, nothing about the message', async () => {
    const relay = await startRelay();
    const s = await setup(relay.port);

    await waitFor('sent', () => s.row().state === 'sent');
    expect(relay.mails).toHaveLength(1);
    const { to, mail } = relay.mails[0]!;
    expect(to).toEqual([PERSONAL]);
    expect(mail.subject).toBe(NOTIFICATION_SUBJECT);
    expect(mail.text).toContain('https://mss.local.test/');
    const everything = `${mail.subject} ${mail.text} ${mail.html || ''}`;
    for (const secret of ['biologie', 'Hémoglobine', 'labo@local.test', CITIZEN]) expect(everything).not.toContain(secret);
  });

  it('retries a deferred notification, then sends it', async () => {
    const relay = await startRelay((n) => (n === 1 ? [451, '4.3.0 Try later'] : undefined));
    const s = await setup(relay.port);

    const deferred = await waitFor('a deferral', () => s.row().attempts === 1 && s.row());
    expect(deferred.last_error).toContain('451');
    await waitFor('sent', () => s.row().state === 'sent');
    expect(s.row().attempts).toBe(2);
    expect(relay.mails).toHaveLength(1);
  });

  it('gives up at once when the address is refused for good', async () => {
    const relay = await startRelay(() => [550, '5.1.1 No such user']);
    const s = await setup(relay.port);

    await waitFor('failed', () => s.row().state === 'failed');
    expect(s.row()).toMatchObject({ attempts: 1, last_error: expect.stringContaining('550') });
  });

  it('sends nothing when notifications are disabled', async () => {
    const relay = await startRelay();
    const s = await setup(relay.port, false);
    s.worker.kick();
    await s.worker.stop();
    expect(s.row()).toMatchObject({ state: 'pending', attempts: 0 });
    expect(relay.mails).toHaveLength(0);
  });
});
