/**
 * The reading-shaped store on a real SQLite file: folders, flags, copy/move/expunge with the
 * MODSEQ journal and tombstones, scoping to the mailbox, and change notification within the
 * process and from another connection (another process, as far as SQLite can tell).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { indexMessage } from '../../../src/mime/indexer.js';
import { openSqliteStore } from '../../../src/store/sqlite/index.js';
import { StoreRefusal, type MailboxChange, type Store } from '../../../src/store/types.js';

const RAW = Buffer.from('From: a@b.fr\r\nSubject: hello\r\n\r\nbody\r\n');
let dir: string;
let store: Store;
let mailboxId: number;
let otherId: number;

async function append(folderId: number, flags: string[] = [], owner = mailboxId) {
  return store.messages.append(owner, folderId, {
    blob: { id: `${Math.random().toString(16).slice(2).padEnd(32, '0')}`.slice(0, 32), size: RAW.length },
    mime: indexMessage(RAW),
    flags,
    subject: 'hello',
  });
}

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'store-'));
  store = openSqliteStore(dir);
  mailboxId = (await store.mailboxes.create({ address: 'dr.a@hopital.mssante.fr', kind: 'PER' })).id;
  otherId = (await store.mailboxes.create({ address: 'dr.b@hopital.mssante.fr', kind: 'PER' })).id;
});
afterEach(async () => {
  await store.close();
});

describe('folders', () => {
  it('has the four standard folders, with SPECIAL-USE, and INBOX in any case', async () => {
    const names = (await store.folders.list(mailboxId)).map((f) => [f.name, f.specialUse]);
    expect(names).toEqual([['Drafts', '\\Drafts'], ['INBOX', null], ['Sent', '\\Sent'], ['Trash', '\\Trash']]);
    expect((await store.folders.byName(mailboxId, 'inbox'))?.name).toBe('INBOX');
  });

  it('creates, renames with children, subscribes and deletes user folders', async () => {
    const projets = await store.folders.create(mailboxId, 'Projets');
    await store.folders.create(mailboxId, 'Projets/Été');
    await expect(store.folders.create(mailboxId, 'Projets')).rejects.toMatchObject({ code: 'EXISTS' });
    await expect(store.folders.create(mailboxId, 'a//b')).rejects.toBeInstanceOf(StoreRefusal);
    await store.folders.rename(mailboxId, 'Projets', 'Archives');
    const names = (await store.folders.list(mailboxId)).map((f) => f.name);
    expect(names).toContain('Archives/Été');
    expect(names).not.toContain('Projets');
    const renamed = await store.folders.byName(mailboxId, 'Archives');
    expect(renamed?.uidValidity).toBe(projets.uidValidity);
    await expect(store.folders.remove(mailboxId, 'Archives')).rejects.toMatchObject({ code: 'HAS_CHILDREN' });
    await expect(store.folders.remove(mailboxId, 'Sent')).rejects.toMatchObject({ code: 'PROTECTED' });
    await expect(store.folders.rename(mailboxId, 'Trash', 'Bin')).rejects.toMatchObject({ code: 'PROTECTED' });
    await store.folders.subscribe(mailboxId, 'Archives/Été', false);
    expect((await store.folders.byName(mailboxId, 'Archives/Été'))?.subscribed).toBe(false);
    await store.folders.remove(mailboxId, 'Archives/Été');
    await store.folders.remove(mailboxId, 'Archives');
    // A folder re-created under an old name is a new folder to clients: a new UIDVALIDITY.
    const again = await store.folders.create(mailboxId, 'Projets');
    expect(again.uidValidity).not.toBe(projets.uidValidity);
  });

  it('renaming INBOX moves its messages to the new folder and leaves INBOX empty', async () => {
    const inbox = (await store.folders.byName(mailboxId, 'INBOX'))!;
    await append(inbox.id);
    await append(inbox.id);
    await store.folders.rename(mailboxId, 'INBOX', 'Old');
    const old = (await store.folders.byName(mailboxId, 'Old'))!;
    expect((await store.folders.status(mailboxId, old.id)).messages).toBe(2);
    expect((await store.folders.status(mailboxId, inbox.id)).messages).toBe(0);
    expect((await store.messages.changes(mailboxId, inbox.id, 0)).expunged).toEqual([1, 2]);
  });

  it('gives \\Recent to one session only, and counts it in STATUS until claimed', async () => {
    const inbox = (await store.folders.byName(mailboxId, 'INBOX'))!;
    await append(inbox.id);
    expect((await store.folders.status(mailboxId, inbox.id)).recent).toBe(1);
    expect(await store.folders.claimRecent(mailboxId, inbox.id)).toEqual({ from: 1, to: 1 });
    // the second claim gets nothing: the message is \Recent to the first session only
    expect(await store.folders.claimRecent(mailboxId, inbox.id)).toEqual({ from: 2, to: 1 });
    expect((await store.folders.status(mailboxId, inbox.id)).recent).toBe(0);
  });
});

describe('messages', () => {
  it('appends with UIDs in order and views the folder for SELECT', async () => {
    const inbox = (await store.folders.byName(mailboxId, 'INBOX'))!;
    const a = await append(inbox.id, ['\\Seen']);
    const b = await append(inbox.id, ['$Important', '\\flagged']);
    expect([a.uid, b.uid]).toEqual([1, 2]);
    expect(b.modseq).toBeGreaterThan(a.modseq);
    const view = await store.folders.view(mailboxId, inbox.id);
    expect([...view.uids]).toEqual([1, 2]);
    expect(view.firstUnseenUid).toBe(2);
    expect(view.unseen).toBe(1);
    const [, second] = await store.messages.fetch(mailboxId, inbox.id, [1, 2]);
    expect(second!.flags).toEqual(['\\Flagged', '$Important']);
    expect((await store.messages.mime(second!.blobId))?.envelope.subject).toBe('hello');
  });

  it('changes flags with a MODSEQ each, honours UNCHANGEDSINCE, and journals the changes', async () => {
    const inbox = (await store.folders.byName(mailboxId, 'INBOX'))!;
    await append(inbox.id);
    await append(inbox.id);
    const before = (await store.folders.status(mailboxId, inbox.id)).highestModseq;
    const added = await store.messages.setFlags(mailboxId, inbox.id, [1, 2], { op: 'add', flags: ['\\Seen', 'urgent'] });
    expect(added.updated.map((u) => [u.uid, u.flags])).toEqual([[1, ['\\Seen', 'urgent']], [2, ['\\Seen', 'urgent']]]);
    // Nothing changes: no new MODSEQ.
    const same = await store.messages.setFlags(mailboxId, inbox.id, [1], { op: 'add', flags: ['\\Seen'] });
    expect(same.updated).toEqual([]);
    expect(same.highestModseq).toBe(added.highestModseq);
    const conflict = await store.messages.setFlags(mailboxId, inbox.id, [1, 2], { op: 'remove', flags: ['urgent'] }, { unchangedSince: before });
    expect(conflict.conflicts).toEqual([1, 2]);
    const replaced = await store.messages.setFlags(mailboxId, inbox.id, [2], { op: 'replace', flags: ['\\Answered'] });
    expect(replaced.updated[0]!.flags).toEqual(['\\Answered']);
    const journal = await store.messages.changes(mailboxId, inbox.id, added.highestModseq);
    expect(journal.changed.map((m) => m.uid)).toEqual([2]);
    await expect(store.messages.setFlags(mailboxId, inbox.id, [1], { op: 'add', flags: ['bad(flag'] })).rejects.toMatchObject({ code: 'LIMIT' });
  });

  it('copies and moves with COPYUID pairs, expunges with tombstones', async () => {
    const inbox = (await store.folders.byName(mailboxId, 'INBOX'))!;
    const trash = (await store.folders.byName(mailboxId, 'Trash'))!;
    for (let i = 0; i < 3; i++) await append(inbox.id, i === 0 ? ['kw'] : []);
    const copied = await store.messages.copy(mailboxId, inbox.id, [1, 3], trash.id);
    expect(copied.pairs).toEqual([[1, 1], [3, 2]]);
    expect(copied.uidValidity).toBe(trash.uidValidity);
    expect((await store.messages.fetch(mailboxId, trash.id, [1]))[0]!.flags).toEqual(['kw']);
    const since = (await store.folders.status(mailboxId, inbox.id)).highestModseq;
    const moved = await store.messages.move(mailboxId, inbox.id, [2], trash.id);
    expect(moved.pairs).toEqual([[2, 3]]);
    expect(moved.expunged).toEqual([2]);
    await store.messages.setFlags(mailboxId, inbox.id, [1], { op: 'add', flags: ['\\Deleted'] });
    await store.messages.setFlags(mailboxId, inbox.id, [3], { op: 'add', flags: ['\\Deleted'] });
    expect((await store.messages.expunge(mailboxId, inbox.id, [3])).expunged).toEqual([3]);
    expect((await store.messages.expunge(mailboxId, inbox.id)).expunged).toEqual([1]);
    const journal = await store.messages.changes(mailboxId, inbox.id, since);
    expect(journal.expunged).toEqual([1, 2, 3]);
    expect(journal.incomplete).toBe(false);
    expect([...(await store.folders.view(mailboxId, inbox.id)).uids]).toEqual([]);
    // UIDs are never reused.
    expect((await append(inbox.id)).uid).toBe(4);
  });

  it('reads the state alone (UID, MODSEQ, flags with keywords sorted) as fetch gives it, since a MODSEQ too', async () => {
    const inbox = (await store.folders.byName(mailboxId, 'INBOX'))!;
    await append(inbox.id, ['zeta', '\\Seen', 'alpha', '$Label1']);
    await append(inbox.id);
    const third = await append(inbox.id, ['\\Answered']);
    const states = await store.messages.states(mailboxId, inbox.id, [1, 2, 3]);
    const fetched = await store.messages.fetch(mailboxId, inbox.id, [1, 2, 3]);
    expect(states).toEqual(fetched.map(({ uid, modseq, flags }) => ({ uid, modseq, flags })));
    expect(states[0]!.flags).toEqual(['\\Seen', '$Label1', 'alpha', 'zeta']);
    expect((await store.messages.states(mailboxId, inbox.id, [1, 3])).map((m) => m.uid)).toEqual([1, 3]);
    expect((await store.messages.states(mailboxId, inbox.id, [1, 2, 3], { changedSince: third.modseq - 1 })).map((m) => m.uid)).toEqual([3]);
    expect(await store.messages.states(mailboxId, inbox.id, [7, 9])).toEqual([]);
  });

  it('pages newest first for the webmail', async () => {
    const inbox = (await store.folders.byName(mailboxId, 'INBOX'))!;
    for (let i = 0; i < 5; i++) await append(inbox.id);
    expect((await store.messages.page(mailboxId, inbox.id, { limit: 2 })).map((m) => m.uid)).toEqual([5, 4]);
    expect((await store.messages.page(mailboxId, inbox.id, { beforeUid: 4, limit: 2 })).map((m) => m.uid)).toEqual([3, 2]);
  });

  it('reads and writes nothing of another mailbox through its ids', async () => {
    const theirInbox = (await store.folders.byName(otherId, 'INBOX'))!;
    const mine = (await store.folders.byName(mailboxId, 'INBOX'))!;
    const theirs = await append(theirInbox.id, [], otherId);
    expect(await store.folders.byId(mailboxId, theirInbox.id)).toBeUndefined();
    await expect(store.messages.fetch(mailboxId, theirInbox.id, [1])).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(store.messages.states(mailboxId, theirInbox.id, [1])).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(store.messages.fetch(mailboxId, theirInbox.id, [])).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(store.messages.setFlags(mailboxId, theirInbox.id, [1], { op: 'add', flags: ['\\Seen'] })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(store.messages.copy(mailboxId, mine.id, [1], theirInbox.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(store.messages.move(mailboxId, theirInbox.id, [1], mine.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(store.messages.expunge(mailboxId, theirInbox.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(store.folders.status(mailboxId, theirInbox.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await store.messages.byId(mailboxId, theirs.id)).toBeUndefined();
    expect(await store.messages.byId(otherId, theirs.id)).toBeDefined();
  });
});

describe('change notification', () => {
  it('tells listeners of this process after each commit', async () => {
    const inbox = (await store.folders.byName(mailboxId, 'INBOX'))!;
    const heard: MailboxChange[] = [];
    const stop = store.changes.subscribe(mailboxId, (c) => heard.push(c));
    const { modseq } = await append(inbox.id);
    await store.folders.create(mailboxId, 'Nouveau');
    await append((await store.folders.byName(otherId, 'INBOX'))!.id, [], otherId);
    stop();
    expect(heard).toEqual([
      { mailboxId, folderId: inbox.id, modseq },
      { mailboxId, folderId: null, modseq: 0 },
    ]);
  });

  it('hears of commits made through another connection to the same file', async () => {
    const inbox = (await store.folders.byName(mailboxId, 'INBOX'))!;
    const heard = new Promise<MailboxChange>((resolve) => {
      const stop = store.changes.subscribe(mailboxId, (c) => {
        stop();
        resolve(c);
      });
    });
    const other = openSqliteStore(dir);
    try {
      const { modseq } = await other.messages.append(mailboxId, inbox.id, {
        blob: { id: 'f'.repeat(32), size: RAW.length },
        mime: indexMessage(RAW),
      });
      expect(await heard).toEqual({ mailboxId, folderId: inbox.id, modseq });
    } finally {
      await other.close();
    }
  });
});

describe('retention of appended messages', () => {
  it('gives a message a client appends the expiry of its kind of mailbox, as a delivery has', async () => {
    const sent = (await store.folders.byName(mailboxId, 'Sent'))!;
    const professional = new Date('2027-03-01T00:00:00Z');
    const { uid } = await store.messages.append(mailboxId, sent.id, {
      blob: { id: 'e'.repeat(32), size: RAW.length },
      mime: indexMessage(RAW),
      expiresAt: { professional, citizen: new Date('2027-06-01T00:00:00Z') },
    });
    const plan = await store.retention.plan(new Date('2027-03-02T00:00:00Z'), new Date(0), new Date(0));
    expect(plan.messages).toBe(1);
    expect((await store.messages.fetch(mailboxId, sent.id, [uid])).map((m) => m.uid)).toEqual([uid]);
    expect((await store.retention.plan(new Date('2027-02-28T00:00:00Z'), new Date(0), new Date(0))).messages).toBe(0);
  });
});

describe('last use of a mailbox', () => {
  it('is recorded at most once an hour: a burst of logins writes nothing more', async () => {
    const db = new Database(path.join(dir, 'gateway.sqlite'));
    const lastUsed = () => db.prepare('SELECT last_used_at FROM mailboxes WHERE id = ?').pluck().get(mailboxId) as number | null;
    try {
      expect(lastUsed()).toBeNull();
      await store.mailboxes.touch('dr.a@hopital.mssante.fr');
      const first = lastUsed();
      expect(first).toBeGreaterThan(0);
      db.prepare('UPDATE mailboxes SET last_used_at = ? WHERE id = ?').run(first! - 60_000, mailboxId);
      await store.mailboxes.touch('dr.a@hopital.mssante.fr');
      expect(lastUsed()).toBe(first! - 60_000);
      db.prepare('UPDATE mailboxes SET last_used_at = ? WHERE id = ?').run(first! - 2 * 3600_000, mailboxId);
      await store.mailboxes.touch('dr.a@hopital.mssante.fr');
      expect(lastUsed()).toBeGreaterThanOrEqual(first!);
    } finally {
      db.close();
    }
  });
});
