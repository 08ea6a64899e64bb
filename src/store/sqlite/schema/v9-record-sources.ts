import type { Migration } from './migration.js';

/**
 * The webmail's record, contacts and pharmacy picker (issue 10):
 * - a record document says where it came from: `message` (a CDA delivered or filed from a
 *   message, under the version rules) or `citizen` (a file the citizen filed from an attachment:
 *   a PDF, an image, a text). `content_type` is the type of the document's own file, kept in
 *   `cda_blob_id` (the CDA for a `message` document, the deposited file for a `citizen` one; a
 *   deposited PDF is also its `pdf_blob_id`). Rows filed before are CDA documents of messages:
 *   the defaults keep them as they were, and retention keeps reading the same two columns.
 * - the directory gets a town, and `search_text`: the address, name, RPPS and town folded for
 *   search without case, accents or punctuation differences ("saint etienne" finds
 *   "Saint-Étienne"), and `name_key`, the name folded the same way, so that lists are in the
 *   order a person reads ("Église" among the E's). Both are written by the store on every
 *   upsert; rows from before are folded when the store first opens (the folding is
 *   JavaScript's Unicode; SQLite's lower() knows ASCII only).
 * - the activity history pages by id, per mailbox.
 */
export const schemaV9: Migration = {
  version: 9,
  name: 'record-sources',
  sql: `
    ALTER TABLE record_documents ADD COLUMN source TEXT NOT NULL DEFAULT 'message' CHECK (source IN ('message', 'citizen'));
    ALTER TABLE record_documents ADD COLUMN content_type TEXT NOT NULL DEFAULT 'text/xml';
    CREATE INDEX record_citizen_filed ON record_documents (citizen, filed_at);

    ALTER TABLE directory ADD COLUMN town TEXT;
    ALTER TABLE directory ADD COLUMN search_text TEXT;
    ALTER TABLE directory ADD COLUMN name_key TEXT;
    CREATE INDEX directory_pharmacies ON directory (pharmacy, name_key);

    CREATE INDEX audit_mailbox_id ON audit (mailbox, id);
  `,
};
