import type { Migration } from './migration.js';

/**
 * Webmail sessions: the SHA-256 of the cookie's token (the token itself is never stored), the
 * mailbox, and the two deadlines (idle, absolute). "Log out everywhere" deletes a mailbox's rows.
 */
export const schemaV8: Migration = {
  version: 8,
  name: 'web-sessions',
  sql: `
    CREATE TABLE web_sessions (
      token_hash   TEXT PRIMARY KEY,
      mailbox_id   INTEGER NOT NULL REFERENCES mailboxes (id),
      created_at   INTEGER NOT NULL,
      seen_at      INTEGER NOT NULL,
      idle_until   INTEGER NOT NULL,
      expires_at   INTEGER NOT NULL,
      client       TEXT
    ) WITHOUT ROWID;
    CREATE INDEX web_sessions_mailbox ON web_sessions (mailbox_id);
    CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);
  `,
};
