import type { Migration } from './migration.js';

/**
 * The store shaped for reading (IMAP, webmail): system flags as columns and keywords in their
 * own table so UNSEEN, STATUS and SEARCH use indexes; tombstones so a client that knows a
 * MODSEQ learns what was expunged since (RFC 7162); the first UID no session has seen as
 * \Recent; and each body's MIME index, written once at delivery.
 */
export const schemaV4: Migration = {
  version: 4,
  name: 'reading',
  sql: `
    ALTER TABLE messages ADD COLUMN seen     INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE messages ADD COLUMN answered INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE messages ADD COLUMN flagged  INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE messages ADD COLUMN deleted  INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE messages ADD COLUMN draft    INTEGER NOT NULL DEFAULT 0;
    UPDATE messages SET
      seen     = (' ' || flags || ' ') LIKE '% \\Seen %',
      answered = (' ' || flags || ' ') LIKE '% \\Answered %',
      flagged  = (' ' || flags || ' ') LIKE '% \\Flagged %',
      deleted  = (' ' || flags || ' ') LIKE '% \\Deleted %',
      draft    = (' ' || flags || ' ') LIKE '% \\Draft %';

    CREATE TABLE message_keywords (
      message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
      keyword    TEXT NOT NULL,
      PRIMARY KEY (message_id, keyword)
    ) WITHOUT ROWID;
    CREATE INDEX message_keywords_keyword ON message_keywords (keyword);

    WITH RECURSIVE split (id, rest, word) AS (
      SELECT id, flags || ' ', '' FROM messages WHERE flags != ''
      UNION ALL
      SELECT id, substr(rest, instr(rest, ' ') + 1), substr(rest, 1, instr(rest, ' ') - 1) FROM split WHERE rest != ''
    )
    INSERT OR IGNORE INTO message_keywords (message_id, keyword)
      SELECT id, word FROM split WHERE word != '' AND substr(word, 1, 1) != '\\';

    ALTER TABLE messages DROP COLUMN flags;
    CREATE INDEX messages_unseen ON messages (folder_id, uid) WHERE seen = 0;
    CREATE INDEX messages_modseq ON messages (folder_id, modseq);

    CREATE TABLE tombstones (
      folder_id INTEGER NOT NULL REFERENCES folders (id) ON DELETE CASCADE,
      uid       INTEGER NOT NULL,
      modseq    INTEGER NOT NULL,
      at        INTEGER NOT NULL,
      PRIMARY KEY (folder_id, uid)
    ) WITHOUT ROWID;
    CREATE INDEX tombstones_modseq ON tombstones (folder_id, modseq);

    ALTER TABLE folders ADD COLUMN first_recent_uid INTEGER NOT NULL DEFAULT 1;
    -- tombstones at or below this MODSEQ were pruned: a resync from before it is incomplete
    ALTER TABLE folders ADD COLUMN pruned_modseq INTEGER NOT NULL DEFAULT 0;
    UPDATE folders SET first_recent_uid = uid_next;

    -- the last UIDVALIDITY given in the mailbox: a folder re-created under an old name gets a new one
    ALTER TABLE mailboxes ADD COLUMN last_uid_validity INTEGER NOT NULL DEFAULT 0;
    UPDATE mailboxes SET last_uid_validity = coalesce((SELECT max(uid_validity) FROM folders WHERE mailbox_id = mailboxes.id), 0);

    -- the MIME index of the body (JSON), shared by every copy of the message
    ALTER TABLE blobs ADD COLUMN mime TEXT;
  `,
};
