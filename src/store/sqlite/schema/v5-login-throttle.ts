import type { Migration } from './migration.js';

/**
 * Failed-login counters in the database rather than in the server's memory, so that
 * `mssgw auth blocks` / `auth unblock` in another process see and lift what `serve` set, and a
 * restart does not forgive an attacker. One row per (scope, user name, client); the client
 * scope leaves the user name empty.
 */
export const schemaV5: Migration = {
  version: 5,
  name: 'login-throttle',
  sql: `
    CREATE TABLE login_counters (
      scope         TEXT NOT NULL CHECK (scope IN ('pair', 'client')),
      address       TEXT NOT NULL,
      client        TEXT NOT NULL,
      failures      INTEGER NOT NULL,
      first_at      INTEGER NOT NULL,
      last_at       INTEGER NOT NULL,
      blocked_until INTEGER,
      PRIMARY KEY (scope, address, client)
    ) WITHOUT ROWID;
    CREATE INDEX login_counters_client ON login_counters (client);
    CREATE INDEX login_counters_blocked ON login_counters (blocked_until) WHERE blocked_until IS NOT NULL;
  `,
};
