import type { Migration } from './migration.js';

/**
 * Domains an operator lets a peer certificate speak for besides the one it names (one operator
 * hosting several organisations behind a single certificate): `mssgw trust attach`.
 */
export const schemaV6: Migration = {
  version: 6,
  name: 'peer-domains',
  sql: `
    CREATE TABLE peer_domains (
      certificate_name TEXT NOT NULL,
      domain           TEXT NOT NULL,
      created_at       INTEGER NOT NULL,
      PRIMARY KEY (certificate_name, domain)
    ) WITHOUT ROWID;
  `,
};
