/**
 * A session over a stand-in connection and a real SQLite store: an IDLE that fails (the store
 * failing while it tells a change) gives its line back, so the client's next command is run
 * as a command and not taken as the end of an IDLE that is over.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ImapServices } from '../../../src/imap/command.js';
import { COMMANDS } from '../../../src/imap/commands/registry.js';
import { ResponseWriter } from '../../../src/imap/protocol/writer.js';
import { Session, type SessionPort } from '../../../src/imap/session.js';
import { indexMessage } from '../../../src/mime/indexer.js';
import { openSqliteStore } from '../../../src/store/sqlite/index.js';
import type { Store } from '../../../src/store/types.js';
import { waitFor } from '../../helpers/wait.js';

const RAW = Buffer.from('From: a@b.fr\r\nSubject: hello\r\n\r\nbody\r\n');
let store: Store;

beforeEach(() => {
  store = openSqliteStore(mkdtempSync(path.join(tmpdir(), 'session-idle-')));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await store.close();
});

const line = (text: string) => ({ lines: [Buffer.from(text)], literals: [] });

describe('IDLE', () => {
  it('stops waiting for its line when it fails, so the next command is not swallowed', async () => {
    const mailboxId = (await store.mailboxes.create({ address: 'dr.a@hopital.mssante.fr', kind: 'PER' })).id;
    const inbox = (await store.folders.byName(mailboxId, 'INBOX'))!;
    let written = '';
    const writer = new ResponseWriter(new Writable({ write: (chunk: Buffer, _e, done) => ((written += chunk.toString('latin1')), done()) }));
    let waiter: ((line: string) => void) | undefined;
    const port: SessionPort = {
      writer,
      secure: true,
      loginAllowed: true,
      peer: undefined,
      readLine: () => new Promise((resolve) => (waiter = resolve)),
      cancelReadLine: () => (waiter = undefined),
      upgradeAfterAnswer: async () => undefined,
      closeAfterAnswer: () => undefined,
      capabilities: () => ['IMAP4rev1', 'IDLE'],
      stateChanged: () => undefined,
      idling: () => undefined,
    };
    const log = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };
    const services = { store, log } as unknown as ImapServices;
    const seats = { take: () => true, release: () => undefined, perMailbox: 10 };
    const session = new Session({ id: 's', clientIp: '127.0.0.1', services, commands: new Map(COMMANDS.map((c) => [c.name, c])), seats, port });
    session.authenticate({ mailboxId, address: 'dr.a@hopital.mssante.fr' });
    await session.run(line('s SELECT INBOX'));
    await writer.drain();
    expect(written).toMatch(/s OK \[READ-WRITE\]/);

    const idling = session.run(line('i IDLE'));
    await waitFor('IDLE to wait for its line', () => waiter !== undefined && written.includes('+ idling'));
    // the store fails while IDLE tells the next change
    vi.spyOn(store.messages, 'changes').mockRejectedValueOnce(new Error('disk gone'));
    await store.messages.append(mailboxId, inbox.id, { blob: { id: '0'.repeat(32), size: RAW.length }, mime: indexMessage(RAW), flags: [] });
    await idling;
    await writer.drain();
    expect(written).toMatch(/i NO \[SERVERBUG\]/);
    expect(waiter).toBeUndefined();
  });
});
