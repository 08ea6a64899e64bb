/**
 * Failed-login throttling for every door, in the manner of Postfix's anvil and Dovecot's auth
 * penalty rather than one lock per address:
 * - one counter per (user name, client) blocks a client guessing one mailbox's password; the
 *   owner, from anywhere else, is not touched by it;
 * - one counter per client, with a higher threshold, blocks a client guessing many mailboxes;
 * - past its threshold, each failure blocks for twice as long as the last, up to a cap;
 * - a counter is forgotten a while after its last failure or block, and a success forgets its
 *   pair (never the client's count: one good password must not hide guessing of others).
 * The counters live in the store, so `mssgw auth` in another process sees and lifts blocks.
 */
import type { LoginCounter, LoginCounterKey, LoginCounterScope, LoginThrottleStore } from '../store/types.js';
import { clientKey, clientList } from './client-key.js';
import { loginName } from './login-name.js';
import { blockMs, type Penalty } from './penalty.js';

export interface ThrottleSettings {
  /** failures of one user name from one client before the first block */
  maxFailures: number;
  /** failures from one client, whatever the names, before the first block */
  clientMaxFailures: number;
  blockSeconds: number;
  maxBlockSeconds: number;
  /** a counter idle this long (no failure, no block) starts again from zero */
  failureWindowSeconds: number;
  /** IPs or CIDR prefixes never blocked as a whole client */
  exemptClients: string[];
}

export interface Block {
  scope: LoginCounterScope;
  /** the user name; '' for a client block */
  address: string;
  client: string;
  failures: number;
  until: Date;
}

export type Verdict = { allowed: true } | { allowed: false; block: Block };

export interface Throttle {
  /** whether this user name from this client may try a password now */
  check(name: string, ip: string): Promise<Verdict>;
  /** counts a failed login; returns the blocks it set */
  failed(name: string, ip: string): Promise<Block[]>;
  succeeded(name: string, ip: string): Promise<void>;
}

// Idle counters are deleted now and then; a late one would only be reset on its next failure.
const PRUNE_EVERY_MS = 10 * 60_000;

const asBlock = (c: LoginCounter, until: Date): Block => ({ scope: c.scope, address: c.address, client: c.client, failures: c.failures, until });

export function createThrottle(store: LoginThrottleStore, settings: ThrottleSettings, clock: () => number = Date.now): Throttle {
  const isExempt = clientList(settings.exemptClients);
  const windowMs = settings.failureWindowSeconds * 1000;
  const penalty = (scope: LoginCounterScope): Penalty => ({
    maxFailures: scope === 'pair' ? settings.maxFailures : settings.clientMaxFailures,
    firstBlockMs: settings.blockSeconds * 1000,
    maxBlockMs: settings.maxBlockSeconds * 1000,
  });
  const keys = (name: string, ip: string): LoginCounterKey[] => {
    const client = clientKey(ip);
    const pair: LoginCounterKey = { scope: 'pair', address: loginName(name).address, client };
    return isExempt(ip) ? [pair] : [pair, { scope: 'client', address: '', client }];
  };
  let prunedAt = clock();

  return {
    async check(name, ip) {
      const now = clock();
      const active = (await store.read(keys(name, ip))).filter((c) => c.blockedUntil && c.blockedUntil.getTime() > now);
      if (active.length === 0) return { allowed: true };
      const longest = active.reduce((a, b) => (b.blockedUntil!.getTime() > a.blockedUntil!.getTime() ? b : a));
      return { allowed: false, block: asBlock(longest, longest.blockedUntil!) };
    },

    async failed(name, ip) {
      const now = clock();
      const counters = await store.fail(keys(name, ip), new Date(now), new Date(now - windowMs));
      const blocks: Block[] = [];
      for (const counter of counters) {
        const ms = blockMs(counter.failures, penalty(counter.scope));
        if (ms === 0) continue;
        const until = new Date(now + ms);
        await store.block(counter, until);
        blocks.push(asBlock(counter, until));
      }
      if (now - prunedAt >= PRUNE_EVERY_MS) {
        prunedAt = now;
        await store.prune(new Date(now - windowMs));
      }
      return blocks;
    },

    async succeeded(name, ip) {
      await store.clear(keys(name, ip)[0]!);
    },
  };
}
