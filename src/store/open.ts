/** Picks the storage engine. SQLite under the data folder is the only one today. */
import { openSqliteStore } from './sqlite/index.js';
import type { Store } from './types.js';

export function openStore(dataDir: string): Store {
  return openSqliteStore(dataDir);
}
