/**
 * Reading a folder: messages by UID, pages for the webmail, the journal since a MODSEQ, and the
 * MIME index of a body. Every read names the mailbox; a folder or message id of another mailbox
 * reads as nothing.
 */
import type { MimeIndex } from '../../mime/types.js';
import type { FolderChanges, MessageState, StoredMessage } from '../types.js';
import { StoreRefusal } from '../types.js';
import type { Statement } from 'better-sqlite3';
import type { Db } from './database.js';
import { MESSAGE_COLUMNS, STATE_COLUMNS, toMessage, toState, type MessageRow, type StateRow } from './message-rows.js';

/**
 * MIME indexes kept parsed: a client fetching BODYSTRUCTURE of a whole folder reads each once.
 * Capped by the size of their stored JSON, not by count: the index of a message of a thousand
 * parts is a thousand times that of a simple one.
 */
export const MIME_CACHE_BYTES = 16 * 1024 * 1024;

/** Least recently used entries of a size, dropped oldest first past `maxBytes`; an entry over a quarter of it is not kept. */
export class SizedCache<V> {
  private readonly entries = new Map<string, { value: V; size: number }>();
  private total = 0;
  constructor(readonly maxBytes: number) {}

  get bytes(): number {
    return this.total;
  }

  get(key: string): V | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    // used again: it goes to the young end
    this.entries.delete(key);
    this.entries.set(key, hit);
    return hit.value;
  }

  set(key: string, value: V, size: number): void {
    if (size > this.maxBytes / 4) return;
    const old = this.entries.get(key);
    if (old) {
      this.total -= old.size;
      this.entries.delete(key);
    }
    this.entries.set(key, { value, size });
    this.total += size;
    for (const [oldest, entry] of this.entries) {
      if (this.total <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.total -= entry.size;
    }
  }
}

export function sqliteMessageReads(db: Db) {
  const build = (rows: MessageRow[]) => rows.map(toMessage);
  const folder = db.prepare('SELECT highest_modseq, pruned_modseq FROM folders WHERE mailbox_id = ? AND id = ?');
  const modseqOf = db.prepare('SELECT highest_modseq FROM folders WHERE id = ?').pluck();
  // A range read names the mailbox in its own statement (one statement a read: each costs its
  // locks); only an empty answer asks whether the folder is still there.
  const inRange = (columns: string, changed: boolean) =>
    db.prepare(`SELECT ${columns} FROM messages x JOIN folders f ON f.id = x.folder_id AND f.mailbox_id = ?
      WHERE x.folder_id = ? AND x.uid BETWEEN ? AND ?${changed ? ' AND x.modseq > ?' : ''} ORDER BY x.uid`);
  const range = { all: inRange(MESSAGE_COLUMNS, false), changed: inRange(MESSAGE_COLUMNS, true) };
  const stateRange = { all: inRange(STATE_COLUMNS, false), changed: inRange(STATE_COLUMNS, true) };
  const pageBefore = db.prepare(`SELECT ${MESSAGE_COLUMNS} FROM messages x WHERE x.folder_id = ? AND x.uid < ? ORDER BY x.uid DESC LIMIT ?`);
  const byId = db.prepare(`SELECT ${MESSAGE_COLUMNS} FROM messages x JOIN folders f ON f.id = x.folder_id
    WHERE f.mailbox_id = ? AND x.id = ?`);
  const changed = db.prepare(`SELECT ${MESSAGE_COLUMNS} FROM messages x WHERE x.folder_id = ? AND x.modseq > ? ORDER BY x.uid`);
  const vanished = db.prepare('SELECT uid FROM tombstones WHERE folder_id = ? AND modseq > ? ORDER BY uid').pluck();
  const mime = db.prepare('SELECT mime FROM blobs WHERE id = ?').pluck();
  const hasBlob = db.prepare('SELECT 1 FROM blobs WHERE id = ?').pluck();
  const list = db.prepare(`SELECT ${MESSAGE_COLUMNS} FROM messages x JOIN folders f ON f.id = x.folder_id JOIN mailboxes m ON m.id = f.mailbox_id
    WHERE m.address = ? AND f.name = ? ORDER BY x.uid`);
  const cache = new SizedCache<MimeIndex>(MIME_CACHE_BYTES);

  function folderOf(mailboxId: number, folderId: number): { highest_modseq: number; pruned_modseq: number } {
    const row = folder.get(mailboxId, folderId) as { highest_modseq: number; pruned_modseq: number } | undefined;
    if (!row) throw new StoreRefusal('NOT_FOUND', `no folder ${folderId} in this mailbox`);
    return row;
  }

  /** the rows with these UIDs (ascending), of this mailbox's folder; NOT_FOUND when the folder is not */
  function rowsOf<R extends StateRow>(
    statements: { all: Statement; changed: Statement },
    mailboxId: number,
    folderId: number,
    uids: readonly number[],
    changedSince: number | undefined,
  ): R[] {
    if (uids.length === 0) {
      folderOf(mailboxId, folderId);
      return [];
    }
    let low = Infinity;
    let high = 0;
    for (const uid of uids) {
      if (uid < low) low = uid;
      if (uid > high) high = uid;
    }
    let rows = (
      changedSince === undefined ? statements.all.all(mailboxId, folderId, low, high) : statements.changed.all(mailboxId, folderId, low, high, changedSince)
    ) as R[];
    if (rows.length === 0) folderOf(mailboxId, folderId);
    if (uids.length !== high - low + 1) {
      const wanted = new Set(uids);
      rows = rows.filter((r) => wanted.has(r.uid));
    }
    return rows;
  }

  return {
    highestModseq(folderId: number): number {
      return (modseqOf.get(folderId) as number | undefined) ?? 0;
    },
    async fetch(mailboxId: number, folderId: number, uids: readonly number[], options: { changedSince?: number } = {}): Promise<StoredMessage[]> {
      return rowsOf<MessageRow>(range, mailboxId, folderId, uids, options.changedSince).map(toMessage);
    },
    async states(mailboxId: number, folderId: number, uids: readonly number[], options: { changedSince?: number } = {}): Promise<MessageState[]> {
      return rowsOf<StateRow>(stateRange, mailboxId, folderId, uids, options.changedSince).map(toState);
    },
    async page(mailboxId: number, folderId: number, options: { beforeUid?: number; limit: number }): Promise<StoredMessage[]> {
      folderOf(mailboxId, folderId);
      const limit = Math.max(1, Math.min(options.limit, 500));
      const rows = pageBefore.all(folderId, options.beforeUid ?? 2 ** 32, limit) as MessageRow[];
      return build(rows.reverse()).reverse();
    },
    async byId(mailboxId: number, id: number): Promise<StoredMessage | undefined> {
      const row = byId.get(mailboxId, id) as MessageRow | undefined;
      return row && build([row])[0];
    },
    async mime(blobId: string): Promise<MimeIndex | undefined> {
      const hit = cache.get(blobId);
      if (hit) return hit;
      const json = mime.get(blobId) as string | null | undefined;
      if (!json) return undefined;
      const index = JSON.parse(json) as MimeIndex;
      cache.set(blobId, index, json.length);
      return index;
    },
    async changes(mailboxId: number, folderId: number, sinceModseq: number): Promise<FolderChanges> {
      const f = folderOf(mailboxId, folderId);
      return {
        highestModseq: f.highest_modseq,
        changed: build(changed.all(folderId, sinceModseq) as MessageRow[]),
        expunged: vanished.all(folderId, sinceModseq) as number[],
        incomplete: sinceModseq < f.pruned_modseq,
      };
    },
    async hasBlob(id: string): Promise<boolean> {
      return hasBlob.get(id) !== undefined;
    },
    async list(mailbox: string, folderName: string): Promise<StoredMessage[]> {
      return build(list.all(mailbox, folderName) as MessageRow[]);
    },
  };
}
