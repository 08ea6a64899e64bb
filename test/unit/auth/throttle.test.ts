/**
 * The throttle's rules with a clock the test moves, over the real SQLite counters: a client
 * guessing one mailbox is blocked for that mailbox only, with growing blocks; a client guessing
 * many is blocked as a client; names count in their canonical form; success, forgetting,
 * exemptions, IPv6 prefixes.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createThrottle, type Throttle, type ThrottleSettings } from '../../../src/auth/throttle.js';
import { openSqliteStore } from '../../../src/store/sqlite/index.js';
import type { Store } from '../../../src/store/types.js';

const OWNER = 'dr.house@hopital.mssante.fr';
const ATTACKER = '192.0.2.66';
const OWNER_IP = '198.51.100.7';
const SETTINGS: ThrottleSettings = {
  maxFailures: 5,
  clientMaxFailures: 20,
  blockSeconds: 60,
  maxBlockSeconds: 3600,
  failureWindowSeconds: 900,
  exemptClients: [],
};

let now: number;
let dir: string;
let store: Store;
let throttle: Throttle;
const wait = (seconds: number) => void (now += seconds * 1000);
const open = (settings: Partial<ThrottleSettings> = {}) => createThrottle(store.loginThrottle, { ...SETTINGS, ...settings }, () => now);
const allowed = async (name: string, ip: string) => (await throttle.check(name, ip)).allowed;
const failTimes = async (n: number, name: string, ip: string) => {
  let blocks: Awaited<ReturnType<Throttle['failed']>> = [];
  for (let i = 0; i < n; i++) blocks = await throttle.failed(name, ip);
  return blocks;
};
/** seconds from now until the block of this name from this client ends */
const blockedFor = async (name: string, ip: string) => {
  const verdict = await throttle.check(name, ip);
  return verdict.allowed ? 0 : (verdict.block.until.getTime() - now) / 1000;
};

beforeEach(() => {
  now = Date.UTC(2025, 2, 3, 9);
  dir = mkdtempSync(path.join(tmpdir(), 'throttle-'));
  store = openSqliteStore(dir);
  throttle = open();
});
afterEach(async () => {
  await store.close();
});

describe('a client guessing one mailbox', () => {
  it('is blocked for that mailbox only; the owner elsewhere and its other mailboxes are not', async () => {
    expect(await failTimes(4, OWNER, ATTACKER)).toEqual([]);
    expect(await allowed(OWNER, ATTACKER)).toBe(true);
    const [block] = await throttle.failed(OWNER, ATTACKER);
    expect(block).toMatchObject({ scope: 'pair', address: OWNER, client: ATTACKER, failures: 5 });
    expect(await blockedFor(OWNER, ATTACKER)).toBe(60);
    // The owner, from anywhere else, is untouched; so is any other mailbox from the attacker.
    expect(await allowed(OWNER, OWNER_IP)).toBe(true);
    expect(await allowed('dr.wilson@hopital.mssante.fr', ATTACKER)).toBe(true);
  });

  it('is blocked twice as long at each further failure, up to the cap', async () => {
    await failTimes(5, OWNER, ATTACKER);
    const seen: number[] = [];
    for (let i = 0; i < 8; i++) {
      const seconds = await blockedFor(OWNER, ATTACKER);
      seen.push(seconds);
      wait(seconds);
      expect(await allowed(OWNER, ATTACKER)).toBe(true);
      await throttle.failed(OWNER, ATTACKER);
    }
    expect(seen).toEqual([60, 120, 240, 480, 960, 1920, 3600, 3600]);
  });

  it('is forgiven once idle past the window after its block, and by a success', async () => {
    await failTimes(5, OWNER, ATTACKER);
    wait(60 + 899); // block over, window not yet
    expect(await throttle.failed(OWNER, ATTACKER)).toHaveLength(1); // the 6th failure: blocked again
    wait(120 + 901);
    expect(await throttle.failed(OWNER, ATTACKER)).toEqual([]); // a first failure again
    await failTimes(3, OWNER, ATTACKER);
    await throttle.succeeded(OWNER, ATTACKER);
    expect(await failTimes(4, OWNER, ATTACKER)).toEqual([]); // counting from zero after the success
  });
});

describe('a client guessing many mailboxes', () => {
  it('is blocked as a client, for every name, without touching other clients', async () => {
    for (let i = 0; i < 19; i++) expect(await throttle.failed(`guess${i}@hopital.mssante.fr`, ATTACKER)).toEqual([]);
    const blocks = await throttle.failed('guess19@hopital.mssante.fr', ATTACKER);
    expect(blocks).toEqual([expect.objectContaining({ scope: 'client', address: '', client: ATTACKER, failures: 20 })]);
    expect(await allowed('anyone.else@hopital.mssante.fr', ATTACKER)).toBe(false);
    expect(await allowed('anyone.else@hopital.mssante.fr', OWNER_IP)).toBe(true);
  });

  it('keeps counting the client when one of its guesses succeeds', async () => {
    await failTimes(19, 'guess@hopital.mssante.fr', '192.0.2.1');
    await throttle.succeeded(OWNER, '192.0.2.1');
    expect(await throttle.failed('other@hopital.mssante.fr', '192.0.2.1')).toEqual([expect.objectContaining({ scope: 'client' })]);
  });

  it('counts an IPv6 client by its /64', async () => {
    for (let i = 1; i <= 20; i++) await throttle.failed(`guess${i}@hopital.mssante.fr`, `2001:db8:0:7::${i.toString(16)}`);
    expect(await allowed(OWNER, '2001:db8:0:7:aaaa::1')).toBe(false);
    expect(await allowed(OWNER, '2001:db8:0:8::1')).toBe(true);
  });

  it('is never blocked as a whole when exempt (a NAT), though each name from it still is', async () => {
    throttle = open({ exemptClients: ['10.0.0.0/8'] });
    for (let i = 0; i < 30; i++) await throttle.failed(`guess${i}@hopital.mssante.fr`, '10.1.2.3');
    expect(await allowed(OWNER, '10.1.2.3')).toBe(true);
    await failTimes(5, OWNER, '10.1.2.3');
    expect(await allowed(OWNER, '10.1.2.3')).toBe(false);
  });
});

describe('user names', () => {
  it('count in their canonical form: spaces and case make no fresh counter', async () => {
    await throttle.failed(` ${OWNER} `, ATTACKER);
    await throttle.failed(OWNER.toUpperCase(), ATTACKER);
    await throttle.failed(`\t${OWNER}`, ATTACKER);
    await throttle.failed(`${OWNER}\u00a0`, ATTACKER);
    const [block] = await throttle.failed(OWNER, ATTACKER);
    expect(block).toMatchObject({ scope: 'pair', address: OWNER, failures: 5 });
    expect(await allowed(`  ${OWNER.toUpperCase()} `, ATTACKER)).toBe(false);
  });

  it('that are not addresses share one counter, so garbage opens no fresh one each time', async () => {
    for (const name of ['', 'root', 'admin', 'dr house@x', 'x@@y']) await throttle.failed(name, ATTACKER);
    expect(await allowed('anything-not-an-address', ATTACKER)).toBe(false);
    expect(await allowed(OWNER, ATTACKER)).toBe(true);
  });
});

describe('another process', () => {
  it('sees the blocks this one set, and its lifting is heeded at once', async () => {
    await failTimes(5, OWNER, ATTACKER);
    const cli = openSqliteStore(dir); // the same data folder, as `mssgw auth` opens it
    try {
      expect(await cli.loginThrottle.blocked(new Date(now))).toEqual([expect.objectContaining({ address: OWNER, client: ATTACKER })]);
      expect(await cli.loginThrottle.lift({ address: OWNER })).toHaveLength(1);
    } finally {
      await cli.close();
    }
    expect(await allowed(OWNER, ATTACKER)).toBe(true);
  });
});
