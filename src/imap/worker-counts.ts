/**
 * The IMAP caps (connections in all, per client address, sessions per mailbox) counted across
 * worker processes. Each worker decides at once, as a single process does, from its own counts
 * plus what the others hold as last heard from the primary; every change it makes is sent to
 * the primary, which tells the others. Two workers admitting the same client or mailbox in the
 * same instant (before either hears of the other) can pass a cap by one each: a cap against
 * floods, not an exact quota, and never by more than the number of workers.
 */
import type { MailboxSeats } from './session.js';

/** what a worker and the primary say to each other about counts */
export type CountMessage =
  /** worker → primary: its count for `key` moved by `delta` */
  | { t: 'count'; key: string; delta: number }
  /** primary → worker: what all the other workers hold for `key` */
  | { t: 'others'; key: string; n: number };

/** The connection caps as server.ts asks them (ConnectionLimits in a single process). */
export interface ConnectionCounter {
  admit(client: string): 'total' | 'client' | undefined;
  release(client: string): void;
  readonly size: number;
}

export interface ImapCounts {
  connections: ConnectionCounter;
  seats: MailboxSeats;
}

export interface Caps {
  total: number;
  perClient: number;
  perMailbox: number;
}

const ALL = 'c';
const client = (ip: string) => `c:${ip}`;
const mailbox = (id: number) => `m:${id}`;

/** A worker's side: `send` reaches the primary; `hear` is given what the primary says. */
export function sharedCounts(caps: Caps, send: (message: CountMessage) => void): ImapCounts & { hear(message: CountMessage): void } {
  const mine = new Map<string, number>();
  const others = new Map<string, number>();
  const held = (key: string) => (mine.get(key) ?? 0) + (others.get(key) ?? 0);
  const move = (key: string, delta: number) => {
    const n = (mine.get(key) ?? 0) + delta;
    if (n === 0) mine.delete(key);
    else mine.set(key, n);
    send({ t: 'count', key, delta });
  };
  return {
    connections: {
      admit(ip) {
        if (held(client(ip)) >= caps.perClient) return 'client';
        if (held(ALL) >= caps.total) return 'total';
        move(ALL, 1);
        move(client(ip), 1);
        return undefined;
      },
      release(ip) {
        if (!mine.get(client(ip))) return;
        move(ALL, -1);
        move(client(ip), -1);
      },
      get size() {
        return held(ALL);
      },
    },
    seats: {
      perMailbox: caps.perMailbox,
      take(id) {
        if (held(mailbox(id)) >= caps.perMailbox) return false;
        move(mailbox(id), 1);
        return true;
      },
      release(id) {
        if (mine.get(mailbox(id))) move(mailbox(id), -1);
      },
    },
    hear(message) {
      if (message.t !== 'others') return;
      if (message.n === 0) others.delete(message.key);
      else others.set(message.key, message.n);
    },
  };
}

/**
 * The primary's side: every worker's counts, key by key; a change from one worker is told to
 * each of the others as the sum of all but their own. A worker that exits holds nothing.
 */
export function countsHub(tell: (worker: number, message: CountMessage) => void) {
  const byKey = new Map<string, Map<number, number>>();
  const workers = new Set<number>();
  const othersOf = (key: string, worker: number): number => {
    let n = 0;
    for (const [w, c] of byKey.get(key) ?? []) if (w !== worker) n += c;
    return n;
  };
  const spread = (key: string, from: number) => {
    for (const w of workers) if (w !== from) tell(w, { t: 'others', key, n: othersOf(key, w) });
  };
  return {
    /** a new worker: told what the others hold already */
    join(worker: number): void {
      workers.add(worker);
      for (const key of byKey.keys()) {
        const n = othersOf(key, worker);
        if (n) tell(worker, { t: 'others', key, n });
      }
    },
    hear(worker: number, message: CountMessage): void {
      if (message.t !== 'count') return;
      const counts = byKey.get(message.key) ?? new Map<number, number>();
      const n = (counts.get(worker) ?? 0) + message.delta;
      if (n <= 0) counts.delete(worker);
      else counts.set(worker, n);
      if (counts.size === 0) byKey.delete(message.key);
      else byKey.set(message.key, counts);
      spread(message.key, worker);
    },
    /** the worker is gone: its connections and sessions with it */
    leave(worker: number): void {
      workers.delete(worker);
      for (const [key, counts] of [...byKey]) {
        if (!counts.delete(worker)) continue;
        if (counts.size === 0) byKey.delete(key);
        spread(key, worker);
      }
    },
    /** what all workers hold for a key (tests, metrics) */
    total(key: string): number {
      return othersOf(key, -1);
    },
  };
}
