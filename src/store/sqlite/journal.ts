/**
 * The change journal: every change to a folder takes the next MODSEQ of that folder, and every
 * message removed leaves a tombstone with the MODSEQ of its removal (RFC 7162). Every writer
 * goes through these statements, inside its own transaction.
 */
import type { Db } from './database.js';

export interface Journal {
  /** the MODSEQ of a new change in the folder */
  nextModseq(folderId: number): number;
  /** reserves `count` UIDs in the folder; returns the first */
  reserveUids(folderId: number, count: number): number;
  /** removes the messages (by row id) of one folder, leaving tombstones at `modseq` */
  remove(folderId: number, rows: ReadonlyArray<{ id: number; uid: number }>, modseq: number): void;
}

export function sqliteJournal(db: Db): Journal {
  const bump = db.prepare('UPDATE folders SET highest_modseq = highest_modseq + 1 WHERE id = ? RETURNING highest_modseq').pluck();
  const reserve = db.prepare('UPDATE folders SET uid_next = uid_next + ? WHERE id = ? RETURNING uid_next').pluck();
  const tombstone = db.prepare('INSERT OR REPLACE INTO tombstones (folder_id, uid, modseq, at) VALUES (?, ?, ?, ?)');
  const deleteRow = db.prepare('DELETE FROM messages WHERE id = ?');
  return {
    nextModseq(folderId) {
      const modseq = bump.get(folderId) as number | undefined;
      if (modseq === undefined) throw new Error(`no folder ${folderId}`);
      return modseq;
    },
    reserveUids(folderId, count) {
      const next = reserve.get(count, folderId) as number | undefined;
      if (next === undefined) throw new Error(`no folder ${folderId}`);
      return next - count;
    },
    remove(folderId, rows, modseq) {
      const at = Date.now();
      for (const row of rows) {
        deleteRow.run(row.id);
        tombstone.run(folderId, row.uid, modseq, at);
      }
    },
  };
}
