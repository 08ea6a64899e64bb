/** Picks the storage engine. SQLite under the data folder is the only one today. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ValidationError } from '../errors.js';
import { openSqliteStore } from './sqlite/index.js';
import type { Store } from './types.js';

/** The file src/store/sqlite/database.ts opens in the data folder. */
const SQLITE_FILE = 'gateway.sqlite';

export interface OpenOptions {
  /**
   * true (the default): create the folder and an empty database when missing, as serve and
   * provisioning do. false: fail instead, so a mistyped --data is an error, not a new database.
   */
  create?: boolean;
}

/** The data folder holds no database: a wrong --data or MSS_DATA_DIR, most likely (exit 2). */
export class NoDatabaseError extends ValidationError {
  override name = 'NoDatabaseError';
}

export function openStore(dataDir: string, options: OpenOptions = {}): Store {
  if (options.create === false) {
    const dir = path.resolve(dataDir);
    if (!existsSync(path.join(dir, SQLITE_FILE))) {
      const why = existsSync(dir) ? `the folder has no ${SQLITE_FILE}` : 'the folder does not exist';
      throw new NoDatabaseError(
        `no database in ${dir}: ${why} (check --data, MSS_DATA_DIR or dataDir; serve and the provisioning commands create it)`,
      );
    }
  }
  return openSqliteStore(dataDir);
}
