/**
 * Retention: messages are mail, not an archive. Copies past their delay go; documents filed in
 * the record stay (their files are kept by the record's own rows); traces go after their delay;
 * mailboxes unused for too long are flagged for the operator to close.
 */
import type { MailboxChange, RetentionPlan, RetentionStore } from '../types.js';
import type { ChangeBus } from './changes.js';
import type { Db } from './database.js';
import { sqliteJournal } from './journal.js';

/** Tombstones are kept this long; a client resyncing from before gets VANISHED (EARLIER) of all it knows. */
const TOMBSTONE_DAYS = 30;

export function sqliteRetention(db: Db, bus: ChangeBus): RetentionStore {
  const journal = sqliteJournal(db);
  const countMessages = db.prepare('SELECT count(*) FROM messages WHERE expires_at IS NOT NULL AND expires_at < ?').pluck();
  const expired = db.prepare(`SELECT x.id, x.uid, x.folder_id, f.mailbox_id FROM messages x JOIN folders f ON f.id = x.folder_id
    WHERE x.expires_at IS NOT NULL AND x.expires_at < ? ORDER BY x.folder_id, x.uid`);
  const oldTombstones = db.prepare('SELECT folder_id, max(modseq) AS modseq FROM tombstones WHERE at < ? GROUP BY folder_id');
  const pruneTombstones = db.prepare('DELETE FROM tombstones WHERE folder_id = ? AND modseq <= ?');
  const markPruned = db.prepare('UPDATE folders SET pruned_modseq = max(pruned_modseq, ?) WHERE id = ?');
  const countTraces = db.prepare(`SELECT (SELECT count(*) FROM audit WHERE at < @before)
    + (SELECT count(*) FROM relay_queue WHERE state != 'pending' AND done_at < @before)
    + (SELECT count(*) FROM notify_queue WHERE state != 'pending' AND created_at < @before)`).pluck();
  const deleteAudit = db.prepare('DELETE FROM audit WHERE at < ?');
  const deleteRelay = db.prepare("DELETE FROM relay_queue WHERE state != 'pending' AND done_at < ?");
  const deleteNotify = db.prepare("DELETE FROM notify_queue WHERE state != 'pending' AND created_at < ?");
  const inactive = db.prepare(`SELECT address FROM mailboxes
    WHERE state = 'open' AND coalesce(last_used_at, created_at) < ? ORDER BY address`).pluck();
  // A body is still needed by a message copy, a relay row (pending, or failed and awaiting its
  // DSN) or a filed document.
  const unusedBlobs = db.prepare(`SELECT b.id FROM blobs b
    WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.blob_id = b.id)
      AND NOT EXISTS (SELECT 1 FROM relay_queue r WHERE r.blob_id = b.id)
      AND NOT EXISTS (SELECT 1 FROM record_documents d WHERE d.cda_blob_id = b.id OR d.pdf_blob_id = b.id)`).pluck();
  const deleteBlob = db.prepare('DELETE FROM blobs WHERE id = ?');

  function plan(now: number, traceBefore: number, unusedSince: number): RetentionPlan {
    return {
      messages: countMessages.get(now) as number,
      traces: countTraces.get({ before: traceBefore }) as number,
      inactive: inactive.all(unusedSince) as string[],
    };
  }

  const apply = db.transaction((now: number, traceBefore: number, unusedSince: number) => {
    const planned = plan(now, traceBefore, unusedSince);
    // Expired copies leave tombstones like any expunge, so open sessions and resyncing clients learn of it.
    const byFolder = new Map<number, { mailboxId: number; rows: Array<{ id: number; uid: number }> }>();
    for (const row of expired.all(now) as Array<{ id: number; uid: number; folder_id: number; mailbox_id: number }>) {
      const entry = byFolder.get(row.folder_id) ?? { mailboxId: row.mailbox_id, rows: [] };
      entry.rows.push(row);
      byFolder.set(row.folder_id, entry);
    }
    const changes: MailboxChange[] = [];
    for (const [folderId, { mailboxId, rows }] of byFolder) {
      const modseq = journal.nextModseq(folderId);
      journal.remove(folderId, rows, modseq);
      changes.push({ mailboxId, folderId, modseq });
    }
    for (const t of oldTombstones.all(now - TOMBSTONE_DAYS * 86_400_000) as Array<{ folder_id: number; modseq: number }>) {
      pruneTombstones.run(t.folder_id, t.modseq);
      markPruned.run(t.modseq, t.folder_id);
    }
    deleteRelay.run(traceBefore);
    deleteNotify.run(traceBefore);
    deleteAudit.run(traceBefore);
    const blobs = unusedBlobs.all() as string[];
    for (const id of blobs) deleteBlob.run(id);
    return { plan: { ...planned, unusedBlobs: blobs }, changes };
  });

  return {
    async plan(now, traceBefore, unusedSince) {
      return plan(now.getTime(), traceBefore.getTime(), unusedSince.getTime());
    },
    async apply(now, traceBefore, unusedSince) {
      const { plan, changes } = apply(now.getTime(), traceBefore.getTime(), unusedSince.getTime());
      for (const change of changes) bus.emit(change);
      return plan;
    },
  };
}
