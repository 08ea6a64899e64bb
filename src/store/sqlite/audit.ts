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
  const forMailbox = db.prepare('SELECT * FROM audit WHERE mailbox = ? ORDER BY at DESC, id DESC LIMIT ?');
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
    async forMailbox(address, limit = 200) {
      return (forMailbox.all(address, limit) as AuditRow[]).map(toRecord);
    },
    async recent(limit = 200) {
      return (recent.all(limit) as AuditRow[]).map(toRecord);
    },
  };
}
