import type { Migration } from './migration.js';

/**
 * Messages: folders with IMAP UIDs, the message rows (bodies live in files, see store/fs/blobs),
 * conversations and the "has written to" ledger, the relay queue and the notification queue.
 */
export const schemaV2: Migration = {
  version: 2,
  name: 'messages',
  sql: `
    CREATE TABLE folders (
      id             INTEGER PRIMARY KEY,
      mailbox_id     INTEGER NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
      name           TEXT NOT NULL,
      special_use    TEXT,
      uid_validity   INTEGER NOT NULL,
      uid_next       INTEGER NOT NULL DEFAULT 1,
      highest_modseq INTEGER NOT NULL DEFAULT 1,
      subscribed     INTEGER NOT NULL DEFAULT 1,
      UNIQUE (mailbox_id, name)
    );

    -- Existing mailboxes get their four standard folders.
    INSERT INTO folders (mailbox_id, name, special_use, uid_validity)
      SELECT m.id, f.name, f.special_use, (CAST(strftime('%s', 'now') AS INTEGER) & 2147483647)
      FROM mailboxes m,
        (SELECT 'INBOX' AS name, NULL AS special_use UNION ALL SELECT 'Sent', '\\Sent'
         UNION ALL SELECT 'Drafts', '\\Drafts' UNION ALL SELECT 'Trash', '\\Trash') f;

    CREATE TABLE blobs (
      id         TEXT PRIMARY KEY,
      size       INTEGER NOT NULL,
      created_at INTEGER NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE conversations (
      id           INTEGER PRIMARY KEY,
      professional TEXT NOT NULL,
      citizen      TEXT NOT NULL,
      state        TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
      created_at   INTEGER NOT NULL,
      closed_at    INTEGER
    );
    CREATE INDEX conversations_pair ON conversations (citizen, professional);

    -- Which message (by Message-ID) belongs to which conversation, per citizen: one message
    -- from a professional to several citizens opens one conversation with each.
    CREATE TABLE conversation_messages (
      message_id      TEXT NOT NULL,
      citizen         TEXT NOT NULL,
      conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
      PRIMARY KEY (message_id, citizen)
    ) WITHOUT ROWID;

    -- The reply-only rule's ledger: this professional has written to this citizen.
    CREATE TABLE contacts (
      professional TEXT NOT NULL,
      citizen      TEXT NOT NULL,
      first_at     INTEGER NOT NULL,
      last_at      INTEGER NOT NULL,
      PRIMARY KEY (citizen, professional)
    ) WITHOUT ROWID;

    CREATE TABLE messages (
      id              INTEGER PRIMARY KEY,
      folder_id       INTEGER NOT NULL REFERENCES folders (id) ON DELETE CASCADE,
      uid             INTEGER NOT NULL,
      modseq          INTEGER NOT NULL DEFAULT 1,
      blob_id         TEXT NOT NULL REFERENCES blobs (id),
      size            INTEGER NOT NULL,
      internal_date   INTEGER NOT NULL,
      flags           TEXT NOT NULL DEFAULT '',
      message_id      TEXT,
      subject         TEXT,
      from_address    TEXT,
      date            INTEGER,
      has_attachments INTEGER NOT NULL DEFAULT 0,
      conversation_id INTEGER REFERENCES conversations (id) ON DELETE SET NULL,
      expires_at      INTEGER,
      UNIQUE (folder_id, uid)
    );
    CREATE INDEX messages_blob ON messages (blob_id);
    CREATE INDEX messages_expiry ON messages (expires_at) WHERE expires_at IS NOT NULL;

    CREATE TABLE relay_queue (
      id              INTEGER PRIMARY KEY,
      blob_id         TEXT NOT NULL REFERENCES blobs (id),
      sender          TEXT NOT NULL,
      recipient       TEXT NOT NULL,
      domain          TEXT NOT NULL,
      envelope_id     TEXT,
      state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
      attempts        INTEGER NOT NULL DEFAULT 0,
      next_attempt_at INTEGER NOT NULL,
      created_at      INTEGER NOT NULL,
      expires_at      INTEGER NOT NULL,
      last_error      TEXT,
      done_at         INTEGER
    );
    CREATE INDEX relay_due ON relay_queue (next_attempt_at) WHERE state = 'pending';

    CREATE TABLE notify_queue (
      id              INTEGER PRIMARY KEY,
      mailbox         TEXT NOT NULL,
      email           TEXT NOT NULL,
      reason          TEXT NOT NULL,
      state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
      attempts        INTEGER NOT NULL DEFAULT 0,
      next_attempt_at INTEGER NOT NULL,
      created_at      INTEGER NOT NULL,
      last_error      TEXT
    );
    CREATE INDEX notify_due ON notify_queue (next_attempt_at) WHERE state = 'pending';
  `,
};
