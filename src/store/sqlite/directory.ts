import type { ProKind } from '../../domain/mailbox.js';
import type { DirectoryEntry, DirectoryStore } from '../types.js';
import { now, type Db } from './database.js';

interface DirectoryRow {
  address: string;
  kind: ProKind;
  pharmacy: number;
  display_name: string | null;
  rpps: string | null;
  local: number;
}

function toEntry(row: DirectoryRow): DirectoryEntry {
  return {
    address: row.address,
    kind: row.kind,
    pharmacy: row.pharmacy === 1,
    displayName: row.display_name,
    rpps: row.rpps,
    local: row.local === 1,
  };
}

/** LIKE with the user's text taken literally. */
function likePattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export function sqliteDirectory(db: Db): DirectoryStore {
  const upsert = db.prepare(`INSERT INTO directory (address, kind, pharmacy, display_name, rpps, local, updated_at)
    VALUES (@address, @kind, @pharmacy, @displayName, @rpps, @local, @at)
    ON CONFLICT (address) DO UPDATE SET kind = excluded.kind, pharmacy = excluded.pharmacy,
      display_name = coalesce(excluded.display_name, display_name), rpps = coalesce(excluded.rpps, rpps),
      local = excluded.local, updated_at = excluded.updated_at`);
  const byAddress = db.prepare('SELECT * FROM directory WHERE address = ?');
  const search = db.prepare(`SELECT * FROM directory
    WHERE (address LIKE @p ESCAPE '\\' OR lower(display_name) LIKE @p ESCAPE '\\' OR rpps LIKE @p ESCAPE '\\')
      AND (@pharmacies = 0 OR pharmacy = 1)
    ORDER BY display_name IS NULL, lower(display_name), address LIMIT @limit`);
  return {
    async upsert(entry) {
      upsert.run({
        address: entry.address,
        kind: entry.kind,
        pharmacy: entry.pharmacy ? 1 : 0,
        displayName: entry.displayName,
        rpps: entry.rpps,
        local: entry.local ? 1 : 0,
        at: now(),
      });
    },
    async byAddress(address) {
      const row = byAddress.get(address) as DirectoryRow | undefined;
      return row && toEntry(row);
    },
    async search(text, options = {}) {
      const rows = search.all({
        p: likePattern(text),
        pharmacies: options.pharmaciesOnly ? 1 : 0,
        limit: options.limit ?? 50,
      }) as DirectoryRow[];
      return rows.map(toEntry);
    },
  };
}
