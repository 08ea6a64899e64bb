import type { Migration } from './migration.js';

/**
 * The citizen's health record: documents filed from received messages, with their versions
 * ("annule et remplace": a higher versionNumber of the same setId becomes current, the older
 * stays as replaced) and the confidentiality codes of their XDM metadata.
 */
export const schemaV3: Migration = {
  version: 3,
  name: 'record',
  sql: `
    CREATE TABLE record_documents (
      id                INTEGER PRIMARY KEY,
      citizen           TEXT NOT NULL,
      document_id       TEXT NOT NULL,
      set_id            TEXT NOT NULL,
      version           INTEGER NOT NULL CHECK (version > 0),
      status            TEXT NOT NULL CHECK (status IN ('current', 'replaced')),
      replaced_by       INTEGER REFERENCES record_documents (id),
      type_code         TEXT NOT NULL,
      category          TEXT NOT NULL,
      title             TEXT NOT NULL,
      author_name       TEXT,
      author_id         TEXT,
      effective_at      INTEGER,
      effective_time    TEXT NOT NULL,
      sender            TEXT NOT NULL,
      source_message_id TEXT NOT NULL,
      confidentiality   TEXT NOT NULL DEFAULT '',
      cda_blob_id       TEXT NOT NULL REFERENCES blobs (id),
      cda_size          INTEGER NOT NULL,
      pdf_blob_id       TEXT REFERENCES blobs (id),
      pdf_size          INTEGER,
      filed_at          INTEGER NOT NULL,
      UNIQUE (citizen, document_id)
    );
    CREATE INDEX record_set ON record_documents (citizen, set_id, version);
  `,
};
