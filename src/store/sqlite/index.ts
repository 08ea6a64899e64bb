import type { Store } from '../types.js';
import { sqliteAudit } from './audit.js';
import { openDatabase } from './database.js';
import { sqliteDirectory } from './directory.js';
import { sqliteDomains, sqliteTrust } from './domains.js';
import { sqliteMailboxes } from './mailboxes.js';

export function openSqliteStore(dataDir: string): Store {
  const db = openDatabase(dataDir);
  return {
    domains: sqliteDomains(db),
    trust: sqliteTrust(db),
    mailboxes: sqliteMailboxes(db),
    directory: sqliteDirectory(db),
    audit: sqliteAudit(db),
    async close() {
      db.close();
    },
  };
}
