/**
 * What the operator lives with: `npm start` stops cleanly on SIGTERM and on Ctrl-C, leaving no
 * process and no port behind; a port in use is one clear line and exit 1; a mistyped --data is
 * an error, not a new empty database; one log line per accepted message; the relay queue gauges.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ROOT, mssgw, mssgwProcess, sandbox, type Sandbox } from '../helpers/cli.js';
import { freePort } from '../helpers/peer-gateway.js';
import { waitFor } from '../helpers/wait.js';
import { COLLEAGUE, DOCTOR, INS, REMOTE_DOCTOR, OTHER_OPERATOR, startWorld, trySend, type World } from '../helpers/world.js';

/** The processes of a process group, from /proc (field 5 of stat is the group). */
function groupMembers(pgid: number): Array<{ pid: number; command: string }> {
  const members: Array<{ pid: number; command: string }> = [];
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      // "pid (comm) state ppid pgrp …": comm may hold spaces, so read after its last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid) continue;
      const command = readFileSync(`/proc/${entry}/cmdline`, 'latin1').split('\0').join(' ').trim();
      members.push({ pid: Number(entry), command });
    } catch {
      // gone meanwhile
    }
  }
  return members;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

const freeEnv = (box: Sandbox): NodeJS.ProcessEnv => ({
  ...box.env,
  MSS_LOG_LEVEL: 'info',
  MSS_SMTP_PORT: '0',
  MSS_SUBMISSION_PORT: '0',
  MSS_IMAP_PORT: '0',
  MSS_IMAPS_PORT: '0',
  MSS_HTTP_PORT: '0',
});

interface NpmStart {
  npm: ChildProcess;
  ports: Record<string, number>;
  exited: Promise<number | null>;
  logs(): string;
}

/** `npm start` in the repository, in its own process group (as a terminal would run it). */
async function npmStart(box: Sandbox): Promise<NpmStart> {
  const npm = spawn('npm', ['start'], { cwd: ROOT, env: freeEnv(box), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(npm);
  let logs = '';
  npm.stderr!.on('data', (d: Buffer) => (logs += d));
  const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
  const ports = await new Promise<Record<string, number>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start not ready after 30 s:\n${logs}`)), 30_000);
    createInterface({ input: npm.stdout! }).on('line', (line) => {
      if (!line.startsWith('{')) return; // npm's own banner
      const event = JSON.parse(line) as { event?: string; ports?: Record<string, number> };
      if (event.event === 'ready' && event.ports) {
        clearTimeout(timer);
        resolve(event.ports);
      }
    });
    exited.then((code) => reject(new Error(`npm start exited with ${code} before ready:\n${logs}`)));
  });
  return { npm, ports, exited, logs: () => logs };
}

// Whatever a failed assertion leaves, the group goes: no test may leave a process behind.
const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) {
    if (child.pid && groupMembers(child.pid).length > 0) process.kill(-child.pid, 'SIGKILL');
  }
});

describe('npm start', () => {
  it('stops on SIGTERM sent to npm alone: exit 0, no process left in its group, ports free', async () => {
    const run = await npmStart(sandbox());
    const pgid = run.npm.pid!;
    // npm runs the server itself (exec), not through a shell that would swallow the signal.
    const before = groupMembers(pgid);
    expect(before.some((p) => p.command.includes('bin/mssgw.js serve')), JSON.stringify(before)).toBe(true);
    expect(before.some((p) => /^(\/bin\/)?sh -c/.test(p.command)), JSON.stringify(before)).toBe(false);

    run.npm.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    await waitFor('every process of the group to exit', () => groupMembers(pgid).length === 0, {
      timeoutMs: 10_000,
      lastSeen: () => groupMembers(pgid),
    });
    expect(run.logs()).toContain('"msg":"stopped"');
    for (const port of Object.values(run.ports)) expect(await portFree(port), `port ${port}`).toBe(true);
  });

  it('stops cleanly on Ctrl-C (SIGINT to the whole group, then forwarded again by npm)', async () => {
    const run = await npmStart(sandbox());
    const pgid = run.npm.pid!;
    process.kill(-pgid, 'SIGINT');
    expect(await run.exited).toBe(0);
    await waitFor('every process of the group to exit', () => groupMembers(pgid).length === 0, {
      timeoutMs: 10_000,
      lastSeen: () => groupMembers(pgid),
    });
    // The second SIGINT did not cut the stop short: it went to its end.
    expect(run.logs()).toContain('"msg":"stopped"');
    for (const port of Object.values(run.ports)) expect(await portFree(port), `port ${port}`).toBe(true);
  });
});

describe('mssgw serve on a port already in use', () => {
  let taken: Server | undefined;
  afterAll(async () => {
    await new Promise((resolve) => (taken ? taken.close(resolve) : resolve(undefined)));
  });

  it('says which listener and which address in one line, exits 1, leaves nothing listening', async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken!.listen(0, '127.0.0.1', resolve));
    const busy = (taken.address() as AddressInfo).port;
    // The MX starts first on a port we know, so we can see it was released.
    const mx = await freePort();
    const box = sandbox();
    const result = await mssgwProcess(box, ['serve'], { ...freeEnv(box), MSS_SMTP_PORT: String(mx), MSS_SUBMISSION_PORT: String(busy) });

    expect(result.code).toBe(1);
    expect(result.stdout).not.toContain('"event":"ready"');
    const plain = result.stderr.split('\n').filter((l) => l && !l.startsWith('{'));
    expect(plain).toEqual([
      `mssgw serve: cannot start the SMTP submission listener: 127.0.0.1:${busy} is already in use by another process (set ports.submission / MSS_SUBMISSION_PORT)`,
    ]);
    // No stack trace, and no bind error disguised as an SMTP connection error in the logs.
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(result.stderr).not.toContain('SMTP connection error');
    expect(await portFree(mx)).toBe(true);
  });
});

describe('a mistyped --data', () => {
  it('is an error for the commands that read or change what exists, and creates nothing', async () => {
    const box = sandbox();
    const typo = path.join(box.dir, 'dtaa');
    const commands = [
      ['mailbox', 'list'],
      ['mailbox', 'list', '--json'],
      ['mailbox', 'close', DOCTOR],
      ['mailbox', 'passwd', DOCTOR, '--password', 'a long passphrase'],
      ['trust', 'list'],
      ['trust', 'remove', OTHER_OPERATOR],
      ['domain', 'list'],
      ['directory', 'search', 'pharmacie'],
      ['record', 'list', INS.jeanne],
      ['conversation', 'close', '1'],
      ['purge', '--dry-run'],
      ['purge'],
    ];
    const results = await Promise.all(commands.map((args) => mssgw(box, [...args, '--data', typo])));
    results.forEach((r, i) => {
      const what = commands[i]!.join(' ');
      expect(r.code, what).toBe(2);
      expect(r.stderr, what).toContain(`no database in ${typo}: the folder does not exist`);
      expect(r.stdout, what).toBe('');
    });
    expect(existsSync(typo)).toBe(false);

    // A folder that exists but holds no database: same answer, and still no database made.
    mkdirSync(typo);
    const empty = await mssgw(box, ['mailbox', 'list', '--data', typo]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain(`no database in ${typo}: the folder has no gateway.sqlite`);
    expect(readdirSync(typo)).toEqual([]);
  });

  it('is still where provisioning starts: add-* and trust add create the database', async () => {
    const box = sandbox();
    const fresh = path.join(box.dir, 'fresh');
    expect((await mssgw(box, ['domain', 'add-local', 'hopital.mssante.fr', '--data', fresh])).code).toBe(0);
    const other = path.join(box.dir, 'other');
    expect((await mssgw(box, ['trust', 'add', OTHER_OPERATOR, '--data', other])).code).toBe(0);
    const listed = await mssgw(box, ['domain', 'list', '--json', '--data', fresh]);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual(['hopital.mssante.fr']);
    expect(JSON.parse((await mssgw(box, ['trust', 'list', '--json', '--data', other])).stdout)).toMatchObject([{ domain: OTHER_OPERATOR }]);
  });
});

describe('logs and metrics of a running server', () => {
  let world: World;
  afterAll(async () => {
    await world?.stop();
  });

  const metric = async (name: string): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${world.server.ports.http}/metrics`)).text();
    const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    if (!match) throw new Error(`${name} not in /metrics`);
    return Number(match[1]);
  };

  it('logs one line per accepted message (queue id, door, sender, recipients, size) and shows the relay queue', async () => {
    // The other operator's route leads to a closed port: the remote copy waits in the queue.
    const closed = await freePort();
    const box = sandbox();
    world = await startWorld(
      { relay: { routes: { [OTHER_OPERATOR]: `127.0.0.1:${closed}` } } },
      { ...box, env: { ...box.env, MSS_LOG_LEVEL: 'info' } },
    );
    expect(await metric('mssgw_relay_queue_messages')).toBe(0);
    expect(await metric('mssgw_relay_queue_oldest_age_seconds')).toBe(0);

    const subject = 'Résultats de Mme Dupont';
    const text = 'Hémoglobine glyquée 7,2 %';
    const sent = await trySend(world.submission(), { from: DOCTOR, to: [COLLEAGUE, REMOTE_DOCTOR], subject, text });
    expect(sent.ok, sent.response).toBe(true);
    const queueId = /queued as ([0-9a-f]{32})/.exec(sent.response)![1]!;

    const lines = world.server
      .logs()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((e) => e.msg === 'message accepted');
    expect(lines).toHaveLength(1);
    const blob = path.join(world.box.dataDir, 'blobs', queueId.slice(0, 6), queueId);
    expect(lines[0]).toMatchObject({ level: 30, queueId, door: 'submission', sender: DOCTOR, recipients: 2, size: statSync(blob).size });
    // Never the subject or the content, in that line or any other.
    expect(world.server.logs()).not.toContain('Dupont');
    expect(world.server.logs()).not.toContain('glyquée');

    const waiting = await waitFor('the relay queue gauge to show the waiting message', async () => (await metric('mssgw_relay_queue_messages')) === 1);
    expect(waiting).toBe(true);
    const age = await waitFor('the oldest age to pass one second', async () => {
      const seconds = await metric('mssgw_relay_queue_oldest_age_seconds');
      return seconds >= 1 ? seconds : undefined;
    });
    expect(age).toBeLessThan(60);
  });
});
