/**
 * The failed-login counters on a real SQLite file: counting and forgetting, blocks that never
 * shrink, lifting by address or by client, pruning, and a second connection (the CLI's
 * process, as far as SQLite can tell) seeing and lifting what the first one set.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../../src/store/sqlite/index.js';
import type { LoginCounterKey, Store } from '../../../src/store/types.js';

const T0 = Date.UTC(2025, 0, 1, 8);
const at = (seconds: number) => new Date(T0 + seconds * 1000);
const pair = (address: string, client: string): LoginCounterKey => ({ scope: 'pair', address, client });
const client = (c: string): LoginCounterKey => ({ scope: 'client', address: '', client: c });

let dir: string;
let store: Store;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'throttle-store-'));
  store = openSqliteStore(dir);
});
afterEach(async () => {
  await store.close();
});

describe('login counters', () => {
  it('counts failures per key, and starts again once idle past the window', async () => {
    const keys = [pair('dr.a@h.fr', '192.0.2.1'), client('192.0.2.1')];
    await store.loginThrottle.fail(keys, at(0), at(-900));
    const [p, c] = await store.loginThrottle.fail(keys, at(10), at(10 - 900));
    expect(p).toMatchObject({ scope: 'pair', address: 'dr.a@h.fr', client: '192.0.2.1', failures: 2, blockedUntil: null });
    expect(c).toMatchObject({ scope: 'client', address: '', failures: 2 });
    expect(p!.firstFailureAt).toEqual(at(0));
    expect(p!.lastFailureAt).toEqual(at(10));
    // 901 s after the last failure: a first failure again
    const [fresh] = await store.loginThrottle.fail([keys[0]!], at(911), at(911 - 900));
    expect(fresh).toMatchObject({ failures: 1 });
    expect(fresh!.firstFailureAt).toEqual(at(911));
  });

  it('measures idleness from the end of a block, and never shortens one', async () => {
    const key = pair('dr.a@h.fr', '192.0.2.1');
    await store.loginThrottle.fail([key], at(0), at(-900));
    await store.loginThrottle.block(key, at(3600));
    await store.loginThrottle.block(key, at(60)); // a shorter block set later does not win
    expect((await store.loginThrottle.read([key]))[0]!.blockedUntil).toEqual(at(3600));
    // long after the last failure, but within the window after the block's end: it still counts
    const [next] = await store.loginThrottle.fail([key], at(4000), at(4000 - 900));
    expect(next).toMatchObject({ failures: 2 });
    expect(next!.blockedUntil).toEqual(at(3600));
  });

  it('lists the blocks in force, longest first, and lifts them by address or by client', async () => {
    const a1 = pair('dr.a@h.fr', '192.0.2.1');
    const a2 = pair('dr.a@h.fr', '192.0.2.2');
    const b1 = pair('dr.b@h.fr', '192.0.2.1');
    const c1 = client('192.0.2.1');
    await store.loginThrottle.fail([a1, a2, b1, c1], at(0), at(-900));
    await store.loginThrottle.block(a1, at(60));
    await store.loginThrottle.block(a2, at(10));
    await store.loginThrottle.block(c1, at(120));
    expect((await store.loginThrottle.blocked(at(30))).map((c) => [c.scope, c.address, c.client])).toEqual([
      ['client', '', '192.0.2.1'],
      ['pair', 'dr.a@h.fr', '192.0.2.1'],
    ]);

    // another connection to the same file (the CLI while serve runs) sees them and lifts them
    const cli = openSqliteStore(dir);
    try {
      expect(await cli.loginThrottle.blocked(at(30))).toHaveLength(2);
      const lifted = await cli.loginThrottle.lift({ address: 'dr.a@h.fr' });
      expect(lifted.map((c) => c.client).sort()).toEqual(['192.0.2.1', '192.0.2.2']);
    } finally {
      await cli.close();
    }
    expect(await store.loginThrottle.read([a1, a2])).toEqual([]);
    expect(await store.loginThrottle.read([b1])).toHaveLength(1);
    // lifting a client forgets it in both scopes
    expect((await store.loginThrottle.lift({ client: '192.0.2.1' })).map((c) => c.scope).sort()).toEqual(['client', 'pair']);
    expect(await store.loginThrottle.blocked(at(30))).toEqual([]);
  });

  it('clears one counter on success, and prunes only idle ones', async () => {
    const a = pair('dr.a@h.fr', '192.0.2.1');
    const c = client('192.0.2.1');
    const old = pair('dr.old@h.fr', '192.0.2.9');
    const blockedOld = pair('dr.blocked@h.fr', '192.0.2.9');
    await store.loginThrottle.fail([old, blockedOld], at(0), at(-900));
    await store.loginThrottle.block(blockedOld, at(3000));
    await store.loginThrottle.fail([a, c], at(2000), at(1100));
    await store.loginThrottle.clear(a);
    expect(await store.loginThrottle.read([a, c])).toHaveLength(1);
    expect(await store.loginThrottle.prune(at(2000 - 900))).toBe(1);
    expect(await store.loginThrottle.read([old])).toEqual([]);
    expect(await store.loginThrottle.read([blockedOld, c])).toHaveLength(2);
  });
});
