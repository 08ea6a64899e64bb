/**
 * The selected folder on a real SQLite store: what a session is told of changes, and when.
 * Expunges are held back while sequence numbers must stay stable (RFC 3501 §7.4.1), said as
 * VANISHED under QRESYNC, and new messages and flag changes are said as EXISTS and FETCH.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SelectedMailbox, type SyncOptions } from '../../../src/imap/selected.js';
import { compile } from '../../../src/imap/protocol/writer.js';
import type { ImapOut } from '../../../src/imap/protocol/values.js';
import { indexMessage } from '../../../src/mime/indexer.js';
import { openSqliteStore } from '../../../src/store/sqlite/index.js';
import type { Folder, Store } from '../../../src/store/types.js';

const RAW = Buffer.from('From: a@b.fr\r\nSubject: hello\r\n\r\nbody\r\n');
let dir: string;
let store: Store;
let mailboxId: number;
let inbox: Folder;
let blob = 0;

async function append(flags: string[] = []): Promise<number> {
  const id = String(++blob).padStart(32, '0');
  return (await store.messages.append(mailboxId, inbox.id, { blob: { id, size: RAW.length }, mime: indexMessage(RAW), flags })).uid;
}

/** runs a sync and gives what it said, as protocol lines */
async function said(view: SelectedMailbox, options: Partial<SyncOptions> = {}): Promise<string[]> {
  const lines: string[] = [];
  const alive = await view.sync({ expunge: true, qresync: false, condstore: false, ...options }, (items: ImapOut[]) =>
    lines.push(Buffer.concat(compile(items).filter((p): p is Buffer => Buffer.isBuffer(p))).toString('latin1')),
  );
  if (!alive) lines.push('(gone)');
  return lines;
}

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'selected-'));
  store = openSqliteStore(dir);
  mailboxId = (await store.mailboxes.create({ address: 'dr.a@hopital.mssante.fr', kind: 'PER' })).id;
  inbox = (await store.folders.byName(mailboxId, 'INBOX'))!;
});
afterEach(async () => {
  await store.close();
});

describe('selected folder', () => {
  it('numbers the messages from the view and resolves sets by number and by UID', async () => {
    const uids = [await append(), await append(['\\Seen']), await append()];
    const view = await SelectedMailbox.open(store, inbox, { readOnly: false });
    expect(view.exists).toBe(3);
    expect(view.uidAt(2)).toBe(uids[1]);
    expect(view.seqOf(uids[2]!)).toBe(3);
    expect(view.seqOf(999)).toBeUndefined();
    expect(view.resolve('2:*', false)).toEqual(uids.slice(1));
    expect(view.resolve(`${uids[2]}:*`, true)).toEqual([uids[2]]);
    expect(() => view.resolve('4', false)).toThrow(/No message 4/);
    view.close();
  });

  it('claims \\Recent for one read-write session only; EXAMINE reads it without claiming', async () => {
    await append();
    await append();
    const examined = await SelectedMailbox.open(store, inbox, { readOnly: true });
    expect(examined.recent).toBe(2);
    const first = await SelectedMailbox.open(store, inbox, { readOnly: false });
    expect(first.recent).toBe(2);
    const second = await SelectedMailbox.open(store, inbox, { readOnly: false });
    expect(second.recent).toBe(0);
    for (const v of [examined, first, second]) v.close();
  });

  it('gives a message delivered while two sessions have the folder selected \\Recent in one of them only', async () => {
    await append();
    const a = await SelectedMailbox.open(store, inbox, { readOnly: false });
    const b = await SelectedMailbox.open(store, inbox, { readOnly: false });
    const added = await append();
    const told = [await said(a), await said(b)];
    // the first also holds the message it claimed at SELECT
    expect(told).toEqual([
      ['2 EXISTS', '2 RECENT'],
      ['2 EXISTS', '0 RECENT'],
    ]);
    expect([a.isRecent(added), b.isRecent(added)]).toEqual([true, false]);
    // what the first session claimed at SELECT stays its own
    expect([a.isRecent(1), b.isRecent(1)]).toEqual([true, false]);
    for (const v of [a, b]) v.close();
  });

  it('says nothing when nothing changed', async () => {
    await append();
    const view = await SelectedMailbox.open(store, inbox, { readOnly: false });
    expect(view.changed).toBe(false);
    expect(await said(view)).toEqual([]);
    view.close();
  });

  it('says new messages with EXISTS and RECENT, and flag changes with FETCH (UID, MODSEQ under CONDSTORE)', async () => {
    const uid = await append();
    const view = await SelectedMailbox.open(store, inbox, { readOnly: false });
    const added = await append();
    expect(view.changed).toBe(true); // the feed told it, in process
    expect(await said(view)).toEqual(['2 EXISTS', '2 RECENT']);
    expect(view.uidAt(2)).toBe(added);
    const { updated } = await store.messages.setFlags(mailboxId, inbox.id, [uid], { op: 'add', flags: ['\\Seen', '$Urgent'] });
    expect(await said(view, { condstore: true })).toEqual([`1 FETCH (FLAGS (\\Seen $Urgent \\Recent) UID ${uid} MODSEQ (${updated[0]!.modseq}))`]);
    expect(view.highestModseq).toBe(updated[0]!.modseq);
    view.close();
  });

  it('holds expunges back while numbers must stay stable, then says them highest first', async () => {
    const uids = [await append(), await append(), await append(), await append()];
    const view = await SelectedMailbox.open(store, inbox, { readOnly: false });
    await store.messages.setFlags(mailboxId, inbox.id, [uids[1]!, uids[3]!], { op: 'add', flags: ['\\Deleted'] });
    await store.messages.expunge(mailboxId, inbox.id);
    // during FETCH / STORE / SEARCH: flag changes may be said, expunges may not
    const during = await said(view, { expunge: false });
    expect(during.filter((l) => l.includes('EXPUNGE'))).toEqual([]);
    expect(view.exists).toBe(4);
    expect(view.uidAt(4)).toBe(uids[3]);
    // a new message meanwhile is numbered after the held ones
    const added = await append();
    expect(await said(view, { expunge: false })).toEqual(['5 EXISTS', '5 RECENT']);
    expect(view.seqOf(added)).toBe(5);
    // at the next allowed moment: EXPUNGE, each number right when said
    expect(await said(view)).toEqual(['4 EXPUNGE', '2 EXPUNGE']);
    expect(view.exists).toBe(3);
    expect([view.uidAt(1), view.uidAt(2), view.uidAt(3)]).toEqual([uids[0], uids[2], added]);
    view.close();
  });

  it('says VANISHED instead of EXPUNGE under QRESYNC', async () => {
    const uids = [await append(), await append(), await append()];
    const view = await SelectedMailbox.open(store, inbox, { readOnly: false });
    await store.messages.setFlags(mailboxId, inbox.id, uids.slice(0, 2), { op: 'add', flags: ['\\Deleted'] });
    await store.messages.expunge(mailboxId, inbox.id);
    expect(await said(view, { qresync: true })).toEqual([`VANISHED ${uids[0]}:${uids[1]}`]);
    expect(view.exists).toBe(1);
    view.close();
  });

  it('hears a commit made through another connection to the same file (another process)', async () => {
    await append();
    const view = await SelectedMailbox.open(store, inbox, { readOnly: false });
    const other = openSqliteStore(dir);
    try {
      await other.messages.append(mailboxId, inbox.id, { blob: { id: 'f'.repeat(32), size: RAW.length }, mime: indexMessage(RAW) });
      const started = Date.now();
      while (!view.changed && Date.now() - started < 5000) await new Promise((r) => setTimeout(r, 20));
      expect(view.changed).toBe(true);
      expect(await said(view)).toEqual(['2 EXISTS', '2 RECENT']);
    } finally {
      await other.close();
      view.close();
    }
  });

  it('tells the session when its folder was deleted', async () => {
    const folder = await store.folders.create(mailboxId, 'Projets');
    const view = await SelectedMailbox.open(store, folder, { readOnly: false });
    await store.folders.remove(mailboxId, 'Projets');
    expect(await said(view)).toEqual(['(gone)']);
    view.close();
  });
});
