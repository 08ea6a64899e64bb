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
  immediateTransactions(db);
  migrate(db);
  return db;
}

/**
 * Every transaction takes the write lock when it begins (BEGIN IMMEDIATE), waiting out the busy
 * timeout for it. A deferred one that reads and then writes fails at once with SQLITE_BUSY when
 * another process (an IMAP worker, the CLI) committed meanwhile: the timeout cannot help it.
 */
function immediateTransactions(db: Db): void {
  const make = db.transaction.bind(db);
  // The immediate variant carries the others (.deferred, .exclusive) as better-sqlite3 made them.
  db.transaction = ((fn: (...args: never[]) => unknown) => make(fn).immediate) as Db['transaction'];
}

export const now = (): number => Date.now();
