/**
 * Retention: messages are mail, not an archive. Copies past their delay go; documents filed in
 * the record stay (their files are kept by the record's own rows); traces go after their delay;
 * mailboxes unused for too long are flagged for the operator to close.
 */
import type { RetentionPlan, RetentionStore } from '../types.js';
import type { Db } from './database.js';

export function sqliteRetention(db: Db): RetentionStore {
  const countMessages = db.prepare('SELECT count(*) FROM messages WHERE expires_at IS NOT NULL AND expires_at < ?').pluck();
  const deleteMessages = db.prepare('DELETE FROM messages WHERE expires_at IS NOT NULL AND expires_at < ?');
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
    deleteMessages.run(now);
    deleteRelay.run(traceBefore);
    deleteNotify.run(traceBefore);
    deleteAudit.run(traceBefore);
    const blobs = unusedBlobs.all() as string[];
    for (const id of blobs) deleteBlob.run(id);
    return { ...planned, unusedBlobs: blobs };
  });

  return {
    async plan(now, traceBefore, unusedSince) {
      return plan(now.getTime(), traceBefore.getTime(), unusedSince.getTime());
    },
    async apply(now, traceBefore, unusedSince) {
      return apply(now.getTime(), traceBefore.getTime(), unusedSince.getTime());
    },
  };
}
