/** Failed-login counters in SQLite (schema v5). The throttle's rules are in src/auth/. */
import type { LoginCounter, LoginCounterKey, LoginThrottleStore } from '../types.js';
import type { Db } from './database.js';

interface CounterRow {
  scope: LoginCounter['scope'];
  address: string;
  client: string;
  failures: number;
  first_at: number;
  last_at: number;
  blocked_until: number | null;
}

function toCounter(row: CounterRow): LoginCounter {
  return {
    scope: row.scope,
    address: row.address,
    client: row.client,
    failures: row.failures,
    firstFailureAt: new Date(row.first_at),
    lastFailureAt: new Date(row.last_at),
    blockedUntil: row.blocked_until === null ? null : new Date(row.blocked_until),
  };
}

// A counter is idle from its last failure or the end of its block, whichever is later: a long
// block must not make the next failure count as a first one.
const IDLE_FROM = 'max(last_at, coalesce(blocked_until, 0))';

export function sqliteLoginThrottle(db: Db): LoginThrottleStore {
  const read = db.prepare('SELECT * FROM login_counters WHERE scope = ? AND address = ? AND client = ?');
  // In an upsert's SET every column on the right still has its old value.
  const fail = db.prepare(`
    INSERT INTO login_counters (scope, address, client, failures, first_at, last_at, blocked_until)
    VALUES (@scope, @address, @client, 1, @at, @at, NULL)
    ON CONFLICT (scope, address, client) DO UPDATE SET
      failures      = CASE WHEN ${IDLE_FROM} < @forget THEN 1 ELSE failures + 1 END,
      first_at      = CASE WHEN ${IDLE_FROM} < @forget THEN @at ELSE first_at END,
      blocked_until = CASE WHEN ${IDLE_FROM} < @forget THEN NULL ELSE blocked_until END,
      last_at       = @at
    RETURNING *`);
  const block = db.prepare(
    'UPDATE login_counters SET blocked_until = max(coalesce(blocked_until, 0), ?) WHERE scope = ? AND address = ? AND client = ?',
  );
  const clear = db.prepare('DELETE FROM login_counters WHERE scope = ? AND address = ? AND client = ?');
  const blocked = db.prepare('SELECT * FROM login_counters WHERE blocked_until > ? ORDER BY blocked_until DESC, scope, address, client');
  const liftAddress = db.prepare("DELETE FROM login_counters WHERE scope = 'pair' AND address = ? RETURNING *");
  const liftClient = db.prepare('DELETE FROM login_counters WHERE client = ? RETURNING *');
  const prune = db.prepare(`DELETE FROM login_counters WHERE ${IDLE_FROM} < ?`);
  const failAll = db.transaction((keys: LoginCounterKey[], at: number, forget: number) =>
    keys.map((k) => toCounter(fail.get({ scope: k.scope, address: k.address, client: k.client, at, forget }) as CounterRow)),
  );

  return {
    async read(keys) {
      return keys.flatMap((k) => {
        const row = read.get(k.scope, k.address, k.client) as CounterRow | undefined;
        return row ? [toCounter(row)] : [];
      });
    },
    async fail(keys, at, forgetBefore) {
      return failAll.immediate(keys, at.getTime(), forgetBefore.getTime());
    },
    async block(key, until) {
      block.run(until.getTime(), key.scope, key.address, key.client);
    },
    async clear(key) {
      clear.run(key.scope, key.address, key.client);
    },
    async blocked(at) {
      return (blocked.all(at.getTime()) as CounterRow[]).map(toCounter);
    },
    async lift(target) {
      const rows = 'address' in target ? liftAddress.all(target.address) : liftClient.all(target.client);
      return (rows as CounterRow[]).map(toCounter);
    },
    async prune(before) {
      return prune.run(before.getTime()).changes;
    },
  };
}
