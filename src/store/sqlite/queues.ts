/** The two outbound queues: relay to other operators, and generic notifications to citizens. */
import type { NotificationQueue, QueuedNotification, QueuedRelay, RelayQueue } from '../types.js';
import { now, type Db } from './database.js';

interface RelayRow {
  id: number;
  blob_id: string;
  sender: string;
  recipient: string;
  domain: string;
  envelope_id: string | null;
  attempts: number;
  created_at: number;
  expires_at: number;
  last_error: string | null;
}

export function sqliteRelayQueue(db: Db): RelayQueue {
  const due = db.prepare("SELECT * FROM relay_queue WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?");
  const done = db.prepare("UPDATE relay_queue SET state = 'delivered', attempts = attempts + 1, done_at = ?, last_error = NULL WHERE id = ?");
  const retry = db.prepare('UPDATE relay_queue SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?');
  const failed = db.prepare("UPDATE relay_queue SET state = 'failed', attempts = attempts + 1, done_at = ?, last_error = ? WHERE id = ?");
  const next = db.prepare("SELECT min(next_attempt_at) FROM relay_queue WHERE state = 'pending'").pluck();
  return {
    async due(at, limit) {
      return (due.all(at.getTime(), limit) as RelayRow[]).map(
        (r): QueuedRelay => ({
          id: r.id,
          blobId: r.blob_id,
          sender: r.sender,
          recipient: r.recipient,
          domain: r.domain,
          envelopeId: r.envelope_id,
          attempts: r.attempts,
          createdAt: new Date(r.created_at),
          expiresAt: new Date(r.expires_at),
          lastError: r.last_error,
        }),
      );
    },
    async delivered(id) {
      done.run(now(), id);
    },
    async retryLater(id, at, error) {
      retry.run(at.getTime(), error, id);
    },
    async failed(id, error) {
      failed.run(now(), error, id);
    },
    async nextDue() {
      const at = next.get() as number | null;
      return at === null ? undefined : new Date(at);
    },
  };
}

export function sqliteNotificationQueue(db: Db): NotificationQueue {
  const due = db.prepare("SELECT id, mailbox, email, attempts FROM notify_queue WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?");
  const sent = db.prepare("UPDATE notify_queue SET state = 'sent', attempts = attempts + 1, last_error = NULL WHERE id = ?");
  const retry = db.prepare('UPDATE notify_queue SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?');
  const failed = db.prepare("UPDATE notify_queue SET state = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?");
  const next = db.prepare("SELECT min(next_attempt_at) FROM notify_queue WHERE state = 'pending'").pluck();
  return {
    async due(at, limit) {
      return due.all(at.getTime(), limit) as QueuedNotification[];
    },
    async sent(id) {
      sent.run(id);
    },
    async retryLater(id, at, error) {
      retry.run(at.getTime(), error, id);
    },
    async failed(id, error) {
      failed.run(error, id);
    },
    async nextDue() {
      const at = next.get() as number | null;
      return at === null ? undefined : new Date(at);
    },
  };
}
