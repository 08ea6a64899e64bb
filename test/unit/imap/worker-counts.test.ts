/**
 * The IMAP caps counted across worker processes: each worker's side and the primary's hub,
 * wired together here as the IPC channel would (in order, message by message).
 */
import { describe, expect, it } from 'vitest';
import { countsHub, sharedCounts, type CountMessage } from '../../../src/imap/worker-counts.js';

function cluster(workers: number, caps = { total: 5, perClient: 3, perMailbox: 2 }) {
  const sides = new Map<number, ReturnType<typeof sharedCounts>>();
  const hub = countsHub((id, message) => sides.get(id)!.hear(message));
  for (let id = 1; id <= workers; id++) {
    sides.set(
      id,
      sharedCounts(caps, (message: CountMessage) => hub.hear(id, message)),
    );
    hub.join(id);
  }
  return { hub, worker: (id: number) => sides.get(id)! };
}

describe('caps across workers', () => {
  it('counts sessions of one mailbox on every worker against one cap', () => {
    const { worker } = cluster(2);
    expect(worker(1).seats.take(7)).toBe(true);
    expect(worker(2).seats.take(7)).toBe(true);
    // Each worker holds one: alone, either would still say yes.
    expect(worker(1).seats.take(7)).toBe(false);
    expect(worker(2).seats.take(7)).toBe(false);
    expect(worker(2).seats.take(8)).toBe(true);
    worker(1).seats.release(7);
    expect(worker(2).seats.take(7)).toBe(true);
  });

  it('counts connections in all and per client address across workers', () => {
    const { worker, hub } = cluster(3);
    expect(worker(1).connections.admit('192.0.2.1')).toBeUndefined();
    expect(worker(2).connections.admit('192.0.2.1')).toBeUndefined();
    expect(worker(3).connections.admit('192.0.2.1')).toBeUndefined();
    expect(worker(1).connections.admit('192.0.2.1')).toBe('client');
    expect(worker(1).connections.admit('192.0.2.2')).toBeUndefined();
    expect(worker(2).connections.admit('192.0.2.3')).toBeUndefined();
    expect(worker(3).connections.admit('192.0.2.4')).toBe('total');
    expect(worker(3).connections.size).toBe(5);
    expect(hub.total('c')).toBe(5);
    // A place given back on one worker is free on another.
    worker(2).connections.release('192.0.2.1');
    expect(worker(3).connections.admit('192.0.2.1')).toBeUndefined();
    expect(worker(1).connections.admit('192.0.2.1')).toBe('client');
    expect(worker(2).connections.admit('192.0.2.4')).toBe('total');
    // Releasing what a worker never admitted changes nothing.
    worker(1).connections.release('198.51.100.9');
    expect(hub.total('c')).toBe(5);
  });

  it('gives back what a worker held when it is gone, and tells a new worker what is held', () => {
    const { worker, hub } = cluster(2);
    worker(1).seats.take(7);
    worker(1).seats.take(7);
    expect(worker(2).seats.take(7)).toBe(false);
    hub.leave(1);
    expect(worker(2).seats.take(7)).toBe(true);
    const late = sharedCounts({ total: 5, perClient: 3, perMailbox: 2 }, () => undefined);
    const told: CountMessage[] = [];
    const hub2 = countsHub((_, m) => told.push(m));
    hub2.hear(1, { t: 'count', key: 'm:7', delta: 2 });
    hub2.join(2);
    for (const m of told) late.hear(m);
    expect(late.seats.take(7)).toBe(false);
  });
});
