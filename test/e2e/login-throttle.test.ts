/**
 * Login throttling over the real submission door, each client on its own loopback address
 * (127.0.0.x): an attacker cannot lock the owner out; a client guessing many mailboxes is
 * blocked as a client; 421 4.7.0 ends the session; names count in their canonical form; the
 * CLI, in another process, lists and lifts blocks while the server runs; logs and metrics.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli.js';
import { mssgw } from '../helpers/cli.js';
import { RawSmtp, plainAuth } from '../helpers/raw-smtp.js';
import { COLLEAGUE, DOCTOR, HOSPITAL, PASSWORD, startWorld, type World } from '../helpers/world.js';

const MAX_FAILURES = 3;
const CLIENT_MAX_FAILURES = 6;

let world: World;
beforeAll(async () => {
  world = await startWorld({ auth: { maxFailures: MAX_FAILURES, clientMaxFailures: CLIENT_MAX_FAILURES, blockSeconds: 600 } });
});
afterAll(async () => {
  await world?.stop();
});

interface Attempt {
  reply: string;
  /** whether the server closed the connection after its reply */
  closed: boolean;
  client: RawSmtp;
}

/** One AUTH PLAIN over STARTTLS from `from`; the connection is left open when the server keeps it. */
async function authenticate(from: string, user: string, password: string): Promise<Attempt> {
  const client = await RawSmtp.connect(world.server.ports.submission, from);
  await client.command('EHLO client.test');
  await client.startTls(world.ca);
  await client.command('EHLO client.test');
  const reply = await client.command(`AUTH PLAIN ${plainAuth(user, password)}`);
  const closed = reply.startsWith('421') ? await client.waitClosed() : false;
  return { reply, closed, client };
}

async function tryLogin(from: string, user: string, password: string): Promise<Attempt> {
  const attempt = await authenticate(from, user, password);
  attempt.client.close();
  return attempt;
}

async function failTimes(n: number, from: string, user: string): Promise<string[]> {
  const replies: string[] = [];
  for (let i = 0; i < n; i++) replies.push((await tryLogin(from, user, `wrong guess ${i}`)).reply);
  return replies;
}

const BLOCKED = /^421 4\.7\.0 Trop d'échecs d'authentification, réessayez dans \d+ min \/ Too many failed logins, try again in \d+ min$/;

describe('an attacker guessing one mailbox', () => {
  it('is blocked for that mailbox with 421 4.7.0 and the connection closes; the owner elsewhere still logs in', async () => {
    const replies = await failTimes(MAX_FAILURES, '127.0.0.2', DOCTOR);
    expect(replies.every((r) => r.startsWith('535 5.7.8 Identifiants invalides / Authentication credentials invalid'))).toBe(true);
    // Blocked now even with the right password: the door says so and hangs up.
    const blocked = await tryLogin('127.0.0.2', DOCTOR, PASSWORD);
    expect(blocked.reply).toMatch(BLOCKED);
    expect(blocked.reply).toContain('10 min');
    expect(blocked.closed).toBe(true);

    // The owner, from another address, logs in and sends as before.
    const owner = await authenticate('127.0.0.1', DOCTOR, PASSWORD);
    expect(owner.reply).toMatch(/^235 /);
    expect(await owner.client.command(`MAIL FROM:<${DOCTOR}>`)).toMatch(/^250/);
    owner.client.close();
    // The attacker's address is not blocked as a whole for it: other mailboxes still answer.
    expect((await tryLogin('127.0.0.2', COLLEAGUE, PASSWORD)).reply).toMatch(/^235 /);
  });
});

describe('a client guessing many mailboxes', () => {
  it('is blocked as a client, for every name, and nobody else is', async () => {
    const names = Array.from({ length: CLIENT_MAX_FAILURES }, (_, i) => `guess${i}@${HOSPITAL}`);
    for (const name of names) expect((await tryLogin('127.0.0.3', name, 'wrong')).reply).toMatch(/^535 5\.7\.8 /);
    const blocked = await tryLogin('127.0.0.3', COLLEAGUE, PASSWORD);
    expect(blocked.reply).toMatch(BLOCKED);
    expect(blocked.closed).toBe(true);
    expect((await tryLogin('127.0.0.1', COLLEAGUE, PASSWORD)).reply).toMatch(/^235 /);
  });
});

describe('user names with spaces or another case', () => {
  it('log in as the canonical mailbox and count on its counter, not on a fresh one', async () => {
    const padded = await authenticate('127.0.0.4', `  ${DOCTOR.toUpperCase()} `, PASSWORD);
    expect(padded.reply).toMatch(/^235 /);
    // the session is the canonical mailbox's: it may send as it
    expect(await padded.client.command(`MAIL FROM:<${DOCTOR}>`)).toMatch(/^250/);
    padded.client.close();

    const variants = [` ${DOCTOR}`, `${DOCTOR} `, DOCTOR.toUpperCase()];
    for (const name of variants) expect((await tryLogin('127.0.0.4', name, `wrong ${name}`)).reply).toMatch(/^535 5\.7\.8 /);
    expect((await tryLogin('127.0.0.4', DOCTOR, PASSWORD)).reply).toMatch(BLOCKED);
  });
});

describe('the operator', () => {
  it('lists the blocks of the running server and lifts them, by address and by IP', async () => {
    await failTimes(MAX_FAILURES, '127.0.0.5', COLLEAGUE);
    for (let i = 0; i < CLIENT_MAX_FAILURES; i++) await tryLogin('127.0.0.6', `nobody${i}@${HOSPITAL}`, 'wrong');
    expect((await tryLogin('127.0.0.5', COLLEAGUE, PASSWORD)).reply).toMatch(BLOCKED);
    expect((await tryLogin('127.0.0.6', DOCTOR, PASSWORD)).reply).toMatch(BLOCKED);

    const listed = await mssgw(world.box, ['auth', 'blocks', '--json']);
    expect(listed.code).toBe(0);
    const blocks = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
    expect(blocks).toContainEqual(expect.objectContaining({ scope: 'pair', address: COLLEAGUE, client: '127.0.0.5', failures: MAX_FAILURES }));
    expect(blocks).toContainEqual(expect.objectContaining({ scope: 'client', address: null, client: '127.0.0.6', failures: CLIENT_MAX_FAILURES }));
    const until = Date.parse(blocks.find((b) => b.client === '127.0.0.5')!.blockedUntil as string);
    expect(until - Date.now()).toBeGreaterThan(500_000);
    const text = await mssgw(world.box, ['auth', 'blocks']);
    expect(text.stdout).toMatch(new RegExp(`^${COLLEAGUE.replace(/\./g, '\\.')}\\s+127\\.0\\.0\\.5\\s+${MAX_FAILURES}\\s+\\d{4}-`, 'm'));
    expect(text.stdout).toMatch(/^\(any address\)\s+127\.0\.0\.6\s+6\s/m);

    const byAddress = await mssgw(world.box, ['auth', 'unblock', ` ${COLLEAGUE.toUpperCase()}`]);
    expect(byAddress).toMatchObject({ code: 0 });
    expect(byAddress.stdout).toContain(`${COLLEAGUE}: 1 block(s) lifted`);
    expect((await tryLogin('127.0.0.5', COLLEAGUE, PASSWORD)).reply).toMatch(/^235 /);

    const byIp = await mssgw(world.box, ['auth', 'unblock', '127.0.0.6']);
    expect(byIp).toMatchObject({ code: 0 });
    expect((await tryLogin('127.0.0.6', DOCTOR, PASSWORD)).reply).toMatch(/^235 /);
    const after = JSON.parse((await mssgw(world.box, ['auth', 'blocks', '--json'])).stdout) as Array<{ client: string }>;
    expect(after.map((b) => b.client)).not.toContain('127.0.0.5');
    expect(after.map((b) => b.client)).not.toContain('127.0.0.6');
  });

  it('gets exit 2 and the reason for a wrong command line, 0 and a note when nothing is blocked', async () => {
    const errors: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (errors.push(String(chunk)), true));
    try {
      expect(await main(['auth', 'unblock', 'not an address', '--data', world.box.dataDir])).toBe(2);
      expect(errors.join('')).toContain('"not an address" is neither a mail address nor an IP address');
      expect(await main(['auth', 'unblock', '--data', world.box.dataDir])).toBe(2);
      expect(await main(['auth', 'blocks', 'extra', '--data', world.box.dataDir])).toBe(2);
      expect(await main(['auth', 'unblock', '192.0.2.200', '--data', world.box.dataDir])).toBe(0);
      expect(errors.join('')).toContain('no block and no failed login recorded for client 192.0.2.200');
    } finally {
      spy.mockRestore();
    }
  });
});

describe('logs and metrics', () => {
  it('have one line per failed login and per block, never the password, and count them', async () => {
    await failTimes(MAX_FAILURES, '127.0.0.7', `${DOCTOR}`);
    const lines = world.server
      .logs()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const failed = lines.filter((l) => l.event === 'login.failed' && l.ip === '127.0.0.7');
    expect(failed).toHaveLength(MAX_FAILURES);
    expect(failed[0]).toMatchObject({ address: DOCTOR, door: 'submission', reason: 'invalid' });
    expect(lines.filter((l) => l.event === 'login.blocked' && l.client === '127.0.0.7')).toEqual([
      expect.objectContaining({ level: 40, scope: 'pair', address: DOCTOR, failures: MAX_FAILURES }),
    ]);
    expect(world.server.logs()).not.toContain('wrong guess');

    const metrics = await (await fetch(`http://127.0.0.1:${world.server.ports.http}/metrics`)).text();
    const value = (pattern: RegExp) => Number(pattern.exec(metrics)?.[1] ?? NaN);
    expect(value(/^mssgw_login_failures_total\{door="submission",reason="invalid"\} (\d+)$/m)).toBeGreaterThanOrEqual(MAX_FAILURES);
    expect(value(/^mssgw_login_failures_total\{door="submission",reason="blocked"\} (\d+)$/m)).toBeGreaterThanOrEqual(1);
    expect(value(/^mssgw_login_blocks_total\{scope="pair"\} (\d+)$/m)).toBeGreaterThanOrEqual(1);
  });
});
