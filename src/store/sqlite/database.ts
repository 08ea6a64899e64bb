/**
 * Opens the SQLite database: WAL so readers (IMAP, webmail, the CLI) never wait for a writer,
 * synchronous=FULL so a commit is on disk before we answer 250, foreign keys on, and a busy
 * timeout so the CLI and a running server can write to the same file.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from './migrations.js';

export type Db = Database.Database;

export function openDatabase(dataDir: string): Db {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const db = new Database(path.join(dataDir, 'gateway.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

export const now = (): number => Date.now();
