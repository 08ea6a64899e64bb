/**
 * The directory of professionals and pharmacies, local and of other operators. Searches match
 * the address, name, RPPS and town folded (domain/search-text.ts): without case, accents or
 * punctuation differences, which SQLite's own lower() (ASCII only) cannot do.
 */
import type { ProKind } from '../../domain/mailbox.js';
import { foldForSearch } from '../../domain/search-text.js';
import type { DirectoryEntry, DirectoryStore } from '../types.js';
import { now, type Db } from './database.js';

interface DirectoryRow {
  address: string;
  kind: ProKind;
  pharmacy: number;
  display_name: string | null;
  rpps: string | null;
  local: number;
  town: string | null;
}

function toEntry(row: DirectoryRow): DirectoryEntry {
  return {
    address: row.address,
    kind: row.kind,
    pharmacy: row.pharmacy === 1,
    displayName: row.display_name,
    rpps: row.rpps,
    local: row.local === 1,
    town: row.town,
  };
}

/** What a search looks in: one folded line per entry. */
function searchText(row: DirectoryRow): string {
  return foldForSearch([row.address, row.display_name, row.rpps, row.town].filter(Boolean).join(' '));
}

/** The order of a list: by name as a person reads it; entries without a name last. */
function nameKey(row: DirectoryRow): string | null {
  return row.display_name === null ? null : foldForSearch(row.display_name);
}

/** LIKE with the user's text taken literally. */
function likePattern(folded: string): string {
  return `%${folded.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export function sqliteDirectory(db: Db): DirectoryStore {
  const upsert = db.prepare(`INSERT INTO directory (address, kind, pharmacy, display_name, rpps, local, town, updated_at)
    VALUES (@address, @kind, @pharmacy, @displayName, @rpps, @local, @town, @at)
    ON CONFLICT (address) DO UPDATE SET kind = excluded.kind, pharmacy = excluded.pharmacy,
      display_name = coalesce(excluded.display_name, display_name), rpps = coalesce(excluded.rpps, rpps),
      town = coalesce(excluded.town, town), local = excluded.local, updated_at = excluded.updated_at`);
  const byAddress = db.prepare('SELECT * FROM directory WHERE address = ?');
  const byAddresses = db.prepare('SELECT * FROM directory WHERE address IN (SELECT value FROM json_each(?))');
  const setKeys = db.prepare('UPDATE directory SET search_text = ?, name_key = ? WHERE address = ?');
  const search = db.prepare(`SELECT * FROM directory
    WHERE search_text LIKE @p ESCAPE '\\' AND (@pharmacies = 0 OR pharmacy = 1)
    ORDER BY name_key IS NULL, name_key, address LIMIT @limit`);

  // Entries written before schema 9 (or by an older program) are folded once, here.
  const unfolded = db.prepare('SELECT * FROM directory WHERE search_text IS NULL');
  if (db.prepare('SELECT EXISTS (SELECT 1 FROM directory WHERE search_text IS NULL)').pluck().get() === 1) {
    db.transaction(() => {
      for (const row of unfolded.all() as DirectoryRow[]) setKeys.run(searchText(row), nameKey(row), row.address);
    })();
  }

  const write = db.transaction((entry: DirectoryEntry) => {
    upsert.run({
      address: entry.address,
      kind: entry.kind,
      pharmacy: entry.pharmacy ? 1 : 0,
      displayName: entry.displayName,
      rpps: entry.rpps,
      local: entry.local ? 1 : 0,
      town: entry.town?.trim() || null,
      at: now(),
    });
    // What is stored after the upsert (a name or town kept from before) is what a search finds.
    const row = byAddress.get(entry.address) as DirectoryRow;
    setKeys.run(searchText(row), nameKey(row), row.address);
  });

  return {
    async upsert(entry) {
      write(entry);
    },
    async byAddress(address) {
      const row = byAddress.get(address) as DirectoryRow | undefined;
      return row && toEntry(row);
    },
    async byAddresses(addresses) {
      if (addresses.length === 0) return new Map();
      const rows = byAddresses.all(JSON.stringify(addresses)) as DirectoryRow[];
      return new Map(rows.map((row) => [row.address, toEntry(row)]));
    },
    async search(text, options = {}) {
      const rows = search.all({
        p: likePattern(foldForSearch(text)),
        pharmacies: options.pharmaciesOnly ? 1 : 0,
        limit: options.limit ?? 50,
      }) as DirectoryRow[];
      return rows.map(toEntry);
    },
  };
}
