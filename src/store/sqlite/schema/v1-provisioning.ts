import type { Migration } from './migration.js';

/** Domains, the trust list, mailboxes, the directory and the audit trail. */
export const schemaV1: Migration = {
  version: 1,
  name: 'provisioning',
  sql: `
    CREATE TABLE local_domains (
      domain     TEXT PRIMARY KEY,
      created_at INTEGER NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE trusted_domains (
      domain     TEXT PRIMARY KEY,
      source     TEXT NOT NULL,
      created_at INTEGER NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE mailboxes (
      id             INTEGER PRIMARY KEY,
      address        TEXT NOT NULL UNIQUE,
      kind           TEXT NOT NULL CHECK (kind IN ('CITIZEN', 'PER', 'ORG', 'APP')),
      pharmacy       INTEGER NOT NULL DEFAULT 0 CHECK (pharmacy IN (0, 1)),
      display_name   TEXT,
      rpps           TEXT,
      ins            TEXT UNIQUE,
      state          TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'opposed', 'closed')),
      password_hash  TEXT,
      personal_email TEXT,
      created_at     INTEGER NOT NULL,
      state_at       INTEGER NOT NULL,
      last_used_at   INTEGER,
      CHECK ((kind = 'CITIZEN') = (ins IS NOT NULL)),
      CHECK (pharmacy = 0 OR kind = 'ORG')
    );

    CREATE TABLE directory (
      address      TEXT PRIMARY KEY,
      kind         TEXT NOT NULL CHECK (kind IN ('PER', 'ORG', 'APP')),
      pharmacy     INTEGER NOT NULL DEFAULT 0 CHECK (pharmacy IN (0, 1)),
      display_name TEXT,
      rpps         TEXT,
      local        INTEGER NOT NULL DEFAULT 0 CHECK (local IN (0, 1)),
      updated_at   INTEGER NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE audit (
      id      INTEGER PRIMARY KEY,
      at      INTEGER NOT NULL,
      actor   TEXT NOT NULL,
      action  TEXT NOT NULL,
      mailbox TEXT,
      target  TEXT,
      outcome TEXT NOT NULL,
      detail  TEXT
    );
    CREATE INDEX audit_mailbox ON audit (mailbox, at);
    CREATE INDEX audit_at ON audit (at);
  `,
};
