/**
 * Logins through the throttle, over a real SQLite store with real mailboxes and passwords:
 * canonical user names, what is counted (and what is not), the log line and the metrics of
 * each failure, a stale password retried, SASL authorisation identities, parallel guessing.
 */
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as admin from '../../../src/admin/provisioning.js';
import { createLogin, type Login } from '../../../src/auth/login.js';
import { createThrottle } from '../../../src/auth/throttle.js';
import { createMetrics, type Metrics } from '../../../src/metrics.js';
import { openSqliteStore } from '../../../src/store/sqlite/index.js';
import type { Store } from '../../../src/store/types.js';

const DOCTOR = 'dr.house@hopital.mssante.fr';
const COLLEAGUE = 'dr.wilson@hopital.mssante.fr';
const INS = '184127645108946';
const PASSWORD = 'correct horse battery';
const ATTACKER = '192.0.2.66';

let store: Store;
let login: Login;
let metrics: Metrics;
let lines: Array<Record<string, unknown>>;
let now: number;

function start(concurrentPerClient = 4) {
  lines = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  metrics = createMetrics();
  const throttle = createThrottle(
    store.loginThrottle,
    { maxFailures: 5, clientMaxFailures: 20, blockSeconds: 60, maxBlockSeconds: 3600, failureWindowSeconds: 900, exemptClients: [] },
    () => now,
  );
  login = createLogin({ store, throttle, log: pino({ level: 'info' }, sink), metrics, concurrentPerClient, clock: () => now });
}

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const found = (await metrics.registry.getSingleMetric(name)!.get()).values.find((v) =>
    Object.entries(labels).every(([k, value]) => v.labels[k] === value),
  );
  return found?.value ?? 0;
}

/** The mailboxes, provisioned once (each password is an scrypt hash); each test gets a copy. */
let template: string;
beforeAll(async () => {
  template = mkdtempSync(path.join(tmpdir(), 'login-template-'));
  const provisioning = openSqliteStore(template);
  const p = { store: provisioning, citizenDomain: 'patient.mssante.fr', actor: 'test' };
  await admin.addLocalDomain(p, 'hopital.mssante.fr');
  await admin.addPro(p, DOCTOR, { type: 'PER', password: PASSWORD });
  await admin.addPro(p, COLLEAGUE, { type: 'PER', password: PASSWORD });
  await admin.addPatient(p, INS, { password: PASSWORD });
  await provisioning.close();
});

beforeEach(() => {
  now = Date.UTC(2025, 2, 3, 9);
  const dir = mkdtempSync(path.join(tmpdir(), 'login-'));
  cpSync(template, dir, { recursive: true });
  store = openSqliteStore(dir);
  start();
});
afterEach(async () => {
  await store.close();
});

describe('user names', () => {
  it('log in as the canonical mailbox whatever the spaces and case, and count on its counter', async () => {
    const result = await login.withPassword(`  DR.House@Hopital.MSSante.fr\t`, PASSWORD, '127.0.0.1', 'submission');
    expect(result).toMatchObject({ ok: true, mailbox: { address: DOCTOR } });
    for (const name of [` ${DOCTOR}`, `${DOCTOR} `, DOCTOR.toUpperCase(), ` ${DOCTOR} `, DOCTOR]) {
      expect(await login.withPassword(name, `wrong ${name}`, ATTACKER, 'submission')).toEqual({ ok: false, reason: 'invalid' });
    }
    expect(await login.withPassword(` ${DOCTOR} `, PASSWORD, ATTACKER, 'submission')).toMatchObject({ ok: false, reason: 'blocked', retryAfterSeconds: 60 });
  });

  it('that only look like the mailbox do not log in as it', async () => {
    for (const name of ['dr.house @hopital.mssante.fr', 'dr.house@hopital.mssante.fr.', 'dr.house\u200b@hopital.mssante.fr', 'dr.house']) {
      expect(await login.withPassword(name, PASSWORD, '127.0.0.1', 'submission')).toEqual({ ok: false, reason: 'invalid' });
    }
  });

  it('refuse a SASL authorisation identity naming another mailbox', async () => {
    expect(await login.withPassword(DOCTOR, PASSWORD, '127.0.0.1', 'submission', COLLEAGUE)).toEqual({ ok: false, reason: 'invalid' });
    expect(await login.withPassword(DOCTOR, PASSWORD, '127.0.0.1', 'submission', ` ${DOCTOR.toUpperCase()}`)).toMatchObject({ ok: true });
  });
});

describe('each failure', () => {
  it('is one log line with address, client, door and reason, never the password; a block is a warning', async () => {
    for (let i = 0; i < 5; i++) await login.withPassword(DOCTOR, `secret-guess-${i}`, ATTACKER, 'submission');
    await login.withPassword(DOCTOR, 'secret-guess-5', ATTACKER, 'submission');
    const failed = lines.filter((l) => l.event === 'login.failed');
    expect(failed).toHaveLength(6);
    expect(failed[0]).toMatchObject({ level: 40, address: DOCTOR, ip: ATTACKER, door: 'submission', reason: 'invalid' });
    expect(failed[5]).toMatchObject({ reason: 'blocked' });
    const blocks = lines.filter((l) => l.event === 'login.blocked');
    expect(blocks).toEqual([expect.objectContaining({ level: 40, scope: 'pair', address: DOCTOR, client: ATTACKER, failures: 5 })]);
    expect(JSON.stringify(lines)).not.toContain('secret-guess');
    expect(await metric('mssgw_login_failures_total', { door: 'submission', reason: 'invalid' })).toBe(5);
    expect(await metric('mssgw_login_failures_total', { door: 'submission', reason: 'blocked' })).toBe(1);
    expect(await metric('mssgw_login_blocks_total', { scope: 'pair' })).toBe(1);
  });

  it('by a name that is no address does not log the name (it may be a password typed in the wrong field)', async () => {
    await login.withPassword('MyS3cretPassw0rd', 'x', ATTACKER, 'submission');
    expect(lines.at(-1)).toMatchObject({ event: 'login.failed', address: '(not an address)' });
    expect(JSON.stringify(lines)).not.toContain('MyS3cretPassw0rd');
  });

  it('on a door the mailbox may not use counts too (a citizen has no SMTP login)', async () => {
    const citizen = `${INS}@patient.mssante.fr`;
    expect(await login.withPassword(citizen, PASSWORD, ATTACKER, 'submission')).toEqual({ ok: false, reason: 'not-allowed' });
    expect(await metric('mssgw_login_failures_total', { door: 'submission', reason: 'not-allowed' })).toBe(1);
    expect(await login.withPassword(citizen, PASSWORD, ATTACKER, 'webmail')).toMatchObject({ ok: true });
  });
});

describe('what is not counted again', () => {
  it('a mail client retrying the same stale password does not block its owner', async () => {
    for (let i = 0; i < 6; i++) expect(await login.withPassword(DOCTOR, 'last year password', '127.0.0.1', 'submission')).toEqual({ ok: false, reason: 'invalid' });
    expect(lines.filter((l) => l.event === 'login.failed')).toHaveLength(6);
    expect(await login.withPassword(DOCTOR, PASSWORD, '127.0.0.1', 'submission')).toMatchObject({ ok: true });
    // but new passwords always count
    for (let i = 0; i < 5; i++) await login.withPassword(DOCTOR, `guess ${i}`, '127.0.0.1', 'submission');
    expect(await login.withPassword(DOCTOR, PASSWORD, '127.0.0.1', 'submission')).toMatchObject({ reason: 'blocked' });
  });
});

describe('parallel guessing', () => {
  it('runs a few checks at a time per client, so a burst cannot outrun the count', async () => {
    start(2);
    const results = await Promise.all(Array.from({ length: 16 }, (_, i) => login.withPassword(DOCTOR, `burst ${i}`, ATTACKER, 'submission')));
    const tried = results.filter((r) => !r.ok && r.reason === 'invalid').length;
    // the 5th failure blocks; at most one more check was already under way beside it
    expect(tried).toBeGreaterThanOrEqual(5);
    expect(tried).toBeLessThanOrEqual(6);
    expect(results.filter((r) => !r.ok && r.reason === 'blocked')).toHaveLength(16 - tried);
    // another client is not held up behind the burst
    expect(await login.withPassword(DOCTOR, PASSWORD, '127.0.0.1', 'submission')).toMatchObject({ ok: true });
  });
});

describe('certificates', () => {
  it('log in only as a name the verified certificate carries; a missing one counts as a failure', async () => {
    expect(await login.withCertificate([DOCTOR], '', '127.0.0.1', 'submission')).toMatchObject({ ok: true, mailbox: { address: DOCTOR } });
    expect(await login.withCertificate([DOCTOR], ` ${DOCTOR.toUpperCase()} `, '127.0.0.1', 'submission')).toMatchObject({ ok: true });
    expect(await login.withCertificate([DOCTOR], COLLEAGUE, '127.0.0.1', 'submission')).toEqual({ ok: false, reason: 'invalid' });
    expect(await login.withCertificate(undefined, DOCTOR, '127.0.0.1', 'submission')).toEqual({ ok: false, reason: 'invalid' });
    expect(lines.filter((l) => l.event === 'login.failed')).toHaveLength(2);
  });
});
