/**
 * Versioned schema migrations, applied in order at start-up, each in its own transaction.
 * A migration, once released, is never edited: add a new one.
 */
import type Database from 'better-sqlite3';
import type { Migration } from './schema/migration.js';
import { schemaV1 } from './schema/v1-provisioning.js';
import { schemaV2 } from './schema/v2-messages.js';
import { schemaV3 } from './schema/v3-record.js';
import { schemaV4 } from './schema/v4-reading.js';
import { schemaV5 } from './schema/v5-login-throttle.js';
import { schemaV6 } from './schema/v6-peer-domains.js';
import { schemaV7 } from './schema/v7-record-versions.js';
import { schemaV8 } from './schema/v8-web-sessions.js';
import { schemaV9 } from './schema/v9-record-sources.js';

export type { Migration };
type Db = Database.Database;

export const MIGRATIONS: Migration[] = [schemaV1, schemaV2, schemaV3, schemaV4, schemaV5, schemaV6, schemaV7, schemaV8, schemaV9];

export function migrate(db: Db, migrations: Migration[] = MIGRATIONS): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const applied = new Set(
    db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[],
  );
  const known = Math.max(0, ...migrations.map((m) => m.version));
  const newest = Math.max(0, ...applied);
  if (newest > known) {
    throw new Error(`the database is at schema version ${newest}, newer than this program knows (${known}): upgrade the program`);
  }
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  let count = 0;
  // By version, whatever the list's order: gaps are allowed, each is applied once.
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(migration.version)) continue;
    // IMMEDIATE: two processes starting at once must not both apply the same migration.
    db.transaction(() => {
      const again = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(migration.version);
      if (again) return;
      db.exec(migration.sql);
      record.run(migration.version, migration.name, Date.now());
      count++;
    }).immediate();
  }
  return count;
}
