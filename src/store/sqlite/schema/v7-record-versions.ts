import type { Migration } from './migration.js';

/**
 * What the version rules of the record compare (domain/versions.ts): the hash of each filed CDA
 * (an id names one content), its custodian and the organisation that sent it (only it may
 * replace the document). Documents filed before have no hash or custodian (not compared); their
 * organisation is read from the sender they were filed from.
 */
export const schemaV7: Migration = {
  version: 7,
  name: 'record-versions',
  sql: `
    ALTER TABLE record_documents ADD COLUMN content_hash TEXT;
    ALTER TABLE record_documents ADD COLUMN custodian TEXT;
    ALTER TABLE record_documents ADD COLUMN organisation TEXT NOT NULL DEFAULT '';
    UPDATE record_documents SET organisation = lower(substr(sender, instr(sender, '@') + 1));
  `,
};
