/** Webmail sessions in SQLite (schema v8). How long they last is decided in src/web/. */
import type { WebSession, WebSessionStore } from '../types.js';
import type { Db } from './database.js';

interface SessionRow {
  token_hash: string;
  mailbox_id: number;
  created_at: number;
  seen_at: number;
  idle_until: number;
  expires_at: number;
  client: string | null;
}

function toSession(row: SessionRow): WebSession {
  return {
    tokenHash: row.token_hash,
    mailboxId: row.mailbox_id,
    createdAt: new Date(row.created_at),
    seenAt: new Date(row.seen_at),
    idleUntil: new Date(row.idle_until),
    expiresAt: new Date(row.expires_at),
    client: row.client,
  };
}

export function sqliteWebSessions(db: Db): WebSessionStore {
  const insert = db.prepare(
    'INSERT INTO web_sessions (token_hash, mailbox_id, created_at, seen_at, idle_until, expires_at, client) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const find = db.prepare('SELECT * FROM web_sessions WHERE token_hash = ? AND idle_until > ? AND expires_at > ?');
  const touch = db.prepare('UPDATE web_sessions SET seen_at = ?, idle_until = min(?, expires_at) WHERE token_hash = ?');
  const remove = db.prepare('DELETE FROM web_sessions WHERE token_hash = ?');
  const removeAll = db.prepare('DELETE FROM web_sessions WHERE mailbox_id = ?');
  const prune = db.prepare('DELETE FROM web_sessions WHERE idle_until <= ? OR expires_at <= ?');
  return {
    async create(session) {
      insert.run(
        session.tokenHash,
        session.mailboxId,
        session.createdAt.getTime(),
        session.createdAt.getTime(),
        session.idleUntil.getTime(),
        session.expiresAt.getTime(),
        session.client ?? null,
      );
    },
    async find(tokenHash, now) {
      const row = find.get(tokenHash, now.getTime(), now.getTime()) as SessionRow | undefined;
      return row && toSession(row);
    },
    async touch(tokenHash, at, idleUntil) {
      touch.run(at.getTime(), idleUntil.getTime(), tokenHash);
    },
    async remove(tokenHash) {
      return remove.run(tokenHash).changes > 0;
    },
    async removeAll(mailboxId) {
      return removeAll.run(mailboxId).changes;
    },
    async prune(now) {
      return prune.run(now.getTime(), now.getTime()).changes;
    },
  };
}
