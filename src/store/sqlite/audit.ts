import type { AuditLog, AuditRecord } from '../types.js';
import { now, type Db } from './database.js';

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
  const insert = db.prepare(`INSERT INTO audit (at, actor, action, mailbox, target, outcome, detail)
    VALUES (@at, @actor, @action, @mailbox, @target, @outcome, @detail)`);
  // By id: the order lines were committed in, and a stable key for the next page.
  const forMailbox = db.prepare('SELECT * FROM audit WHERE mailbox = @address AND id < @before ORDER BY id DESC LIMIT @limit');
  const recent = db.prepare('SELECT * FROM audit ORDER BY id DESC LIMIT ?');
  return {
    async record(entry) {
      insert.run({
        at: now(),
        actor: entry.actor,
        action: entry.action,
        mailbox: entry.mailbox ?? null,
        target: entry.target ?? null,
        outcome: entry.outcome,
        detail: entry.detail ?? null,
      });
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
