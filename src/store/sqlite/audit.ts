import type { AuditEntry, AuditLog, AuditRecord } from '../types.js';
import { now, type Db } from './database.js';

/**
 * Writes one activity line; the store's other writers call it inside their own transaction, so
 * that a change and the line that tells of it commit together. `at` defaults to now.
 */
export function auditWriter(db: Db): (entry: AuditEntry, at?: number) => void {
  const insert = db.prepare(`INSERT INTO audit (at, actor, action, mailbox, target, outcome, detail)
    VALUES (@at, @actor, @action, @mailbox, @target, @outcome, @detail)`);
  return (entry, at = now()) => {
    insert.run({
      at,
      actor: entry.actor,
      action: entry.action,
      mailbox: entry.mailbox ?? null,
      target: entry.target ?? null,
      outcome: entry.outcome,
      detail: entry.detail ?? null,
    });
  };
}

interface AuditRow {
  id: number;
  at: number;
  actor: string;
  action: string;
  mailbox: string | null;
  target: string | null;
  outcome: string;
  detail: string | null;
}

function toRecord(row: AuditRow): AuditRecord {
  return { ...row, at: new Date(row.at) };
}

export function sqliteAudit(db: Db): AuditLog {
  const write = auditWriter(db);
  // By id: the order lines were committed in, and a stable key for the next page.
  const forMailbox = db.prepare('SELECT * FROM audit WHERE mailbox = @address AND id < @before ORDER BY id DESC LIMIT @limit');
  const recent = db.prepare('SELECT * FROM audit ORDER BY id DESC LIMIT ?');
  return {
    async record(entry) {
      write(entry);
    },
    async forMailbox(address, page = {}) {
      const { beforeId, limit = 200 } = typeof page === 'number' ? { limit: page } : page;
      const rows = forMailbox.all({ address, before: beforeId ?? Number.MAX_SAFE_INTEGER, limit }) as AuditRow[];
      return rows.map(toRecord);
    },
    async recent(limit = 200) {
      return (recent.all(limit) as AuditRow[]).map(toRecord);
    },
  };
}
