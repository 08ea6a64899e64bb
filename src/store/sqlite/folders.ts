/**
 * Folders of a mailbox: the four standard ones from the mailbox's creation and any the owner
 * creates. Names are full paths in UTF-8 with '/' between levels; INBOX is INBOX whatever its
 * case. Every statement names the mailbox, so a folder id from a client reaches only its own.
 */
import { FOLDER_DELIMITER, STANDARD_FOLDERS, StoreRefusal, type Folder, type FolderStore, type FolderView } from '../types.js';
import type { ChangeBus } from './changes.js';
import type { Db } from './database.js';
import { sqliteJournal } from './journal.js';

export const FOLDER_LIMITS = { perMailbox: 1000, nameLength: 512, depth: 16 } as const;

interface FolderRow {
  id: number;
  mailbox_id: number;
  name: string;
  special_use: string | null;
  uid_validity: number;
  uid_next: number;
  highest_modseq: number;
  subscribed: number;
}

const toFolder = (r: FolderRow): Folder => ({
  id: r.id,
  mailboxId: r.mailbox_id,
  name: r.name,
  specialUse: r.special_use,
  uidValidity: r.uid_validity,
  uidNext: r.uid_next,
  highestModseq: r.highest_modseq,
  subscribed: r.subscribed === 1,
});

const STANDARD = new Set<string>(STANDARD_FOLDERS.map((f) => f.name));

/** INBOX in any case is INBOX (RFC 3501 §5.1); other names are kept as given. */
export function canonicalName(name: string): string {
  if (name.toUpperCase() === 'INBOX') return 'INBOX';
  if (name.toUpperCase().startsWith(`INBOX${FOLDER_DELIMITER}`)) return `INBOX${name.slice(5)}`;
  return name;
}

function checkName(name: string): void {
  const levels = name.split(FOLDER_DELIMITER);
  if (!name || levels.some((l) => l === '') || name.length > FOLDER_LIMITS.nameLength || levels.length > FOLDER_LIMITS.depth) {
    throw new StoreRefusal('LIMIT', `invalid folder name (empty level, or longer than ${FOLDER_LIMITS.nameLength} characters or ${FOLDER_LIMITS.depth} levels)`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f*%]/.test(name)) throw new StoreRefusal('LIMIT', 'folder names may not contain control characters, * or %');
}

/** Creates the standard folders of a new mailbox (called in the mailbox's own transaction). */
export function createStandardFolders(db: Db, mailboxId: number | bigint): void {
  const insert = db.prepare(`INSERT OR IGNORE INTO folders (mailbox_id, name, special_use, uid_validity, first_recent_uid)
    VALUES (?, ?, ?, ?, 1)`);
  const validity = Math.floor(Date.now() / 1000) & 0x7fffffff;
  for (const folder of STANDARD_FOLDERS) insert.run(mailboxId, folder.name, folder.specialUse, validity);
}

export function sqliteFolders(db: Db, bus: ChangeBus): FolderStore {
  const journal = sqliteJournal(db);
  const list = db.prepare('SELECT * FROM folders WHERE mailbox_id = ? ORDER BY name');
  const byName = db.prepare('SELECT * FROM folders WHERE mailbox_id = ? AND name = ?');
  const byId = db.prepare('SELECT * FROM folders WHERE mailbox_id = ? AND id = ?');
  const count = db.prepare('SELECT count(*) FROM folders WHERE mailbox_id = ?').pluck();
  const lastValidity = db.prepare('SELECT max(last_uid_validity, coalesce((SELECT max(uid_validity) FROM folders WHERE mailbox_id = @id), 0)) FROM mailboxes WHERE id = @id').pluck();
  const setLastValidity = db.prepare('UPDATE mailboxes SET last_uid_validity = ? WHERE id = ?');
  const insert = db.prepare(`INSERT INTO folders (mailbox_id, name, special_use, uid_validity, first_recent_uid)
    VALUES (?, ?, NULL, ?, 1)`);
  // The names below `prefix` (which ends with the delimiter), as a range of the name index:
  // [prefix, prefix + U+10FFFF). Not substr(name, 1, n): SQLite counts characters where
  // JavaScript's length counts UTF-16 units, and a name outside the BMP (an emoji) has two.
  const children = db.prepare(`SELECT * FROM folders WHERE mailbox_id = ? AND name >= ? AND name < ? ORDER BY name`);
  const below = (mailboxId: number, prefix: string) => children.all(mailboxId, prefix, `${prefix}\u{10FFFF}`) as FolderRow[];
  const setName = db.prepare('UPDATE folders SET name = ? WHERE id = ?');
  const deleteFolder = db.prepare('DELETE FROM folders WHERE id = ?');
  const setSubscribed = db.prepare('UPDATE folders SET subscribed = ? WHERE id = ?');
  const status = db.prepare(`SELECT count(*) AS messages, coalesce(sum(seen = 0), 0) AS unseen,
    coalesce(sum(uid >= @firstRecent), 0) AS recent, coalesce(sum(size), 0) AS size FROM messages WHERE folder_id = @folderId`);
  const firstRecent = db.prepare('SELECT first_recent_uid FROM folders WHERE id = ?').pluck();
  const recentState = db.prepare('SELECT first_recent_uid AS first, uid_next AS next FROM folders WHERE id = ?');
  const claim = db.prepare('UPDATE folders SET first_recent_uid = uid_next WHERE id = ?');
  // Both read indexes alone (the UID index, the partial index of unseen messages), no table row.
  const uids = db.prepare('SELECT uid FROM messages WHERE folder_id = ? ORDER BY uid').pluck();
  const unseenOf = db.prepare('SELECT min(uid) AS first, count(*) AS unseen FROM messages WHERE folder_id = ? AND seen = 0');
  const rowsOf = db.prepare('SELECT id, uid FROM messages WHERE folder_id = ? ORDER BY uid');
  const moveRows = db.prepare('UPDATE messages SET folder_id = @to, uid = @uid, modseq = @modseq WHERE id = @id');

  function folderOf(mailboxId: number, name: string): FolderRow | undefined {
    return byName.get(mailboxId, canonicalName(name)) as FolderRow | undefined;
  }

  /** A UIDVALIDITY never used before in this mailbox, so a re-created name is a new folder to clients. */
  function freshValidity(mailboxId: number): number {
    const clock = Math.floor(Date.now() / 1000) & 0x7fffffff;
    const used = (lastValidity.get({ id: mailboxId }) as number | null) ?? 0;
    const validity = Math.max(clock, used + 1) & 0x7fffffff || 1;
    setLastValidity.run(validity, mailboxId);
    return validity;
  }

  const create = db.transaction((mailboxId: number, name: string): FolderRow => {
    if (folderOf(mailboxId, name)) throw new StoreRefusal('EXISTS', `a folder named ${name} already exists`);
    if ((count.get(mailboxId) as number) >= FOLDER_LIMITS.perMailbox) {
      throw new StoreRefusal('LIMIT', `a mailbox holds at most ${FOLDER_LIMITS.perMailbox} folders`);
    }
    const id = Number(insert.run(mailboxId, name, freshValidity(mailboxId)).lastInsertRowid);
    return byId.get(mailboxId, id) as FolderRow;
  });

  /** returns the emptied INBOX's new MODSEQ when INBOX was the one renamed */
  const rename = db.transaction((mailboxId: number, from: string, to: string): { inbox: number; modseq: number } | undefined => {
    const source = folderOf(mailboxId, from);
    if (!source) throw new StoreRefusal('NOT_FOUND', `no folder named ${from}`);
    if (folderOf(mailboxId, to)) throw new StoreRefusal('EXISTS', `a folder named ${to} already exists`);
    if (to === 'INBOX') throw new StoreRefusal('PROTECTED', 'INBOX cannot be replaced');
    if (source.name === 'INBOX') {
      // RFC 3501: renaming INBOX moves its messages to the new folder and leaves INBOX empty.
      const target = create(mailboxId, to);
      const rows = rowsOf.all(source.id) as Array<{ id: number; uid: number }>;
      if (rows.length) {
        const first = journal.reserveUids(target.id, rows.length);
        const targetModseq = journal.nextModseq(target.id);
        const sourceModseq = journal.nextModseq(source.id);
        const tombstone = db.prepare('INSERT OR REPLACE INTO tombstones (folder_id, uid, modseq, at) VALUES (?, ?, ?, ?)');
        rows.forEach((row, i) => {
          moveRows.run({ to: target.id, uid: first + i, modseq: targetModseq, id: row.id });
          tombstone.run(source.id, row.uid, sourceModseq, Date.now());
        });
        return { inbox: source.id, modseq: sourceModseq };
      }
      return undefined;
    }
    if (STANDARD.has(source.name)) throw new StoreRefusal('PROTECTED', `${source.name} is a standard folder and cannot be renamed`);
    const prefix = `${source.name}${FOLDER_DELIMITER}`;
    for (const child of below(mailboxId, prefix)) {
      const renamed = to + child.name.slice(source.name.length);
      checkName(renamed);
      if (folderOf(mailboxId, renamed)) throw new StoreRefusal('EXISTS', `a folder named ${renamed} already exists`);
      setName.run(renamed, child.id);
    }
    setName.run(to, source.id);
    return undefined;
  });

  const remove = db.transaction((mailboxId: number, name: string) => {
    const folder = folderOf(mailboxId, name);
    if (!folder) throw new StoreRefusal('NOT_FOUND', `no folder named ${name}`);
    if (STANDARD.has(folder.name)) throw new StoreRefusal('PROTECTED', `${folder.name} is a standard folder and cannot be deleted`);
    const prefix = `${folder.name}${FOLDER_DELIMITER}`;
    if (below(mailboxId, prefix).length) {
      throw new StoreRefusal('HAS_CHILDREN', `${folder.name} has folders below it; delete them first`);
    }
    // Messages and tombstones go with the folder (ON DELETE CASCADE); their bodies stay until
    // retention finds nothing refers to them.
    deleteFolder.run(folder.id);
  });

  const claimRecent = db.transaction((folderId: number): { from: number; to: number } => {
    const { first, next } = recentState.get(folderId) as { first: number; next: number };
    claim.run(folderId);
    return { from: first, to: next - 1 };
  });

  // One read transaction: the folder's UIDNEXT, its UIDs and its unseen count agree even while
  // another process writes.
  const viewOf = db.transaction((mailboxId: number, folderId: number): FolderView => {
    const folder = byId.get(mailboxId, folderId) as FolderRow | undefined;
    if (!folder) throw new StoreRefusal('NOT_FOUND', `no folder ${folderId}`);
    const list = Uint32Array.from(uids.all(folderId) as number[]);
    const { first, unseen } = unseenOf.get(folderId) as { first: number | null; unseen: number };
    return { folder: toFolder(folder), uids: list, firstUnseenUid: first, unseen };
  });

  const listChanged = (mailboxId: number) => bus.emit({ mailboxId, folderId: null, modseq: 0 });

  return {
    async list(mailboxId) {
      return (list.all(mailboxId) as FolderRow[]).map(toFolder);
    },
    async byName(mailboxId, name) {
      const row = folderOf(mailboxId, name);
      return row && toFolder(row);
    },
    async byId(mailboxId, folderId) {
      const row = byId.get(mailboxId, folderId) as FolderRow | undefined;
      return row && toFolder(row);
    },
    async create(mailboxId, name) {
      name = canonicalName(name);
      checkName(name);
      const folder = toFolder(create(mailboxId, name));
      listChanged(mailboxId);
      return folder;
    },
    async rename(mailboxId, from, to) {
      to = canonicalName(to);
      checkName(to);
      const emptied = rename(mailboxId, from, to);
      listChanged(mailboxId);
      if (emptied) bus.emit({ mailboxId, folderId: emptied.inbox, modseq: emptied.modseq });
    },
    async remove(mailboxId, name) {
      remove(mailboxId, name);
      listChanged(mailboxId);
    },
    async subscribe(mailboxId, name, subscribed) {
      const folder = folderOf(mailboxId, name);
      if (!folder) throw new StoreRefusal('NOT_FOUND', `no folder named ${name}`);
      setSubscribed.run(subscribed ? 1 : 0, folder.id);
    },
    async status(mailboxId, folderId) {
      const folder = byId.get(mailboxId, folderId) as FolderRow | undefined;
      if (!folder) throw new StoreRefusal('NOT_FOUND', `no folder ${folderId}`);
      const counts = status.get({ folderId, firstRecent: firstRecent.get(folderId) }) as {
        messages: number;
        unseen: number;
        recent: number;
        size: number;
      };
      return { ...counts, uidNext: folder.uid_next, uidValidity: folder.uid_validity, highestModseq: folder.highest_modseq };
    },
    async view(mailboxId, folderId) {
      return viewOf(mailboxId, folderId);
    },
    async claimRecent(mailboxId, folderId) {
      if (!byId.get(mailboxId, folderId)) throw new StoreRefusal('NOT_FOUND', `no folder ${folderId}`);
      return claimRecent(folderId);
    },
  };
}
