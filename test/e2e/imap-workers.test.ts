/**
 * IMAP in worker processes (imap.workers: 2) through the real server: both ports served by
 * the workers, the caps counted across them, mail delivered by the gateway process seen at
 * once by a session in a worker, the metrics of the workers in the gateway's /metrics, and a
 * clean stop (every session told BYE, every worker gone).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fsBlobStore } from '../../src/store/fs/blobs.js';
import { openStore } from '../../src/store/open.js';
import { RawImap } from '../helpers/raw-imap.js';
import { COLLEAGUE, DOCTOR, PASSWORD, PHARMACY, startWorld, trySend, type World } from '../helpers/world.js';

/** the processes the server started (Linux: /proc/<pid>/task/<pid>/children) */
function childrenOf(pid: number): number[] {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return text ? text.split(/\s+/).map(Number) : [];
}

const cmdline = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
};

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('IMAP served by worker processes', () => {
  let world: World;
  const open: RawImap[] = [];

  async function session(user: string, port = world.server.ports.imaps): Promise<{ raw: RawImap; login: string }> {
    const raw = await RawImap.connect({ port, tls: true, ca: world.ca });
    open.push(raw);
    expect(await raw.line()).toMatch(/^\* OK \[CAPABILITY /);
    const login = (await raw.command('l', `LOGIN "${user}" "${PASSWORD}"`)).at(-1)!;
    return { raw, login };
  }

  beforeAll(async () => {
    world = await startWorld({ imap: { workers: 2, maxConnectionsPerMailbox: 2 } });
  });
  afterAll(async () => {
    for (const raw of open) raw.close();
    await world?.stop();
  });

  it('runs two workers, both ready before the ready line', () => {
    const workers = childrenOf(world.server.process.pid!).filter((pid) => cmdline(pid).includes('worker-main'));
    expect(workers).toHaveLength(2);
    expect(world.server.ports.imap).toBeGreaterThan(0);
    expect(world.server.ports.imaps).toBeGreaterThan(0);
  });

  it('counts the sessions of one mailbox across workers against one cap', async () => {
    // Connections go to the workers in turn: each holds at least one of these.
    const first = await session(PHARMACY);
    const second = await session(PHARMACY);
    expect(first.login).toMatch(/^l OK /);
    expect(second.login).toMatch(/^l OK /);
    const third = await session(PHARMACY);
    expect(third.login).toBe('l NO [LIMIT] Trop de sessions ouvertes sur cette boite (2 au plus) / Too many sessions open for this mailbox (at most 2)');
    await first.raw.command('o', 'LOGOUT');
    await first.raw.closed;
    // The seat given back on one worker is free on the other at once (or nearly).
    let again = '';
    for (let i = 0; i < 20 && !again.startsWith('l OK'); i++) {
      ({ login: again } = await session(PHARMACY));
      if (!again.startsWith('l OK')) await new Promise((r) => setTimeout(r, 50));
    }
    expect(again).toMatch(/^l OK /);
  });

  it('pushes a delivery made by the gateway to a session idling in a worker, and sends it byte for byte', async () => {
    const { raw, login } = await session(COLLEAGUE);
    expect(login).toMatch(/^l OK /);
    const selected = await raw.command('s', 'SELECT INBOX');
    const exists = Number(/^\* (\d+) EXISTS$/m.exec(selected.join('\n'))![1]);
    raw.write('i IDLE\r\n');
    expect(await raw.line()).toBe('+ idling');
    const text = `Bonjour,\r\n${'compte rendu de consultation, '.repeat(600)}\r\n`;
    const sent = await trySend(world.submission(DOCTOR), { from: DOCTOR, to: COLLEAGUE, subject: 'CR', text });
    expect(sent.ok, sent.response).toBe(true);
    expect(await raw.line()).toBe(`* ${exists + 1} EXISTS`);
    raw.write('DONE\r\n');
    await raw.until('i');
    const fetched = await raw.command('f', `FETCH ${exists + 1} (RFC822.SIZE BODY.PEEK[])`);
    const line = fetched.find((l) => l.startsWith(`* ${exists + 1} FETCH`))!;
    const size = Number(/RFC822\.SIZE (\d+)/.exec(line)![1]);
    const literal = /BODY\[\] \{(\d+)\}\r\n/.exec(line)!;
    expect(Number(literal[1])).toBe(size);
    const body = Buffer.from(line.slice(literal.index + literal[0].length, literal.index + literal[0].length + size), 'latin1');
    // What was stored at delivery, read by this test process from the data folder.
    const store = openStore(world.box.dataDir);
    try {
      const stored = (await store.messages.list(COLLEAGUE, 'INBOX')).at(-1)!;
      expect(body.equals(await fsBlobStore(world.box.dataDir).read(stored.blobId))).toBe(true);
    } finally {
      await store.close();
    }
    expect(line.slice(literal.index + literal[0].length + size)).toBe(')');
    expect(fetched.at(-1)).toMatch(/^f OK /);
  });

  it('shows the workers’ connections in the gateway’s metrics', async () => {
    const before = await session(DOCTOR, world.server.ports.imaps);
    expect(before.login).toMatch(/^l OK /);
    const metrics = await (await fetch(`http://127.0.0.1:${world.server.ports.http}/metrics`)).text();
    const open = Number(/^mssgw_open_connections\{door="imaps"\} (\d+)$/m.exec(metrics)?.[1] ?? NaN);
    expect(open).toBeGreaterThanOrEqual(2);
  });

  it('stops cleanly: BYE to every session, every worker gone, exit 0', async () => {
    const { raw } = await session(DOCTOR);
    const workers = childrenOf(world.server.process.pid!).filter((pid) => cmdline(pid).includes('worker-main'));
    expect(await world.server.stop('SIGTERM')).toBe(0);
    const lines: string[] = [];
    try {
      for (;;) lines.push(await raw.line(2000));
    } catch {
      // closed by the server, after its BYE
    }
    expect(lines.some((l) => /^\* BYE /.test(l))).toBe(true);
    expect(workers.filter(alive)).toEqual([]);
  });
});
