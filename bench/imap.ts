/**
 * IMAP benchmark (issue 9): our server against Postfix + Dovecot on this machine, the same
 * client and the same settings on both sides (STARTTLS by default). For each server, over one
 * mailbox of mixed messages (70 % 5–20 KB, 25 % 100–300 KB with a PDF, 5 % 2–9 MB) seeded with
 * the same seed:
 *   fetch10 / fetch50   UID FETCH 1:* (UID FLAGS RFC822.SIZE BODY.PEEK[]), 10 and 50 clients
 *   random50            random single-message fetches, 50 clients
 *   idle                1,000 connections in IDLE: server memory per connection (PSS, RSS),
 *                       after a warm-up of 20 (our server restarted first: no garbage left over)
 *   mbsync              a full mbsync (isync) pull into a fresh Maildir
 * The load scripts are the shared ones (`--scripts`, default /work/shared/bench: imap_load.py,
 * imap_idle_memory.py, mbsync-sync.sh, seed-mailbox), so neither server gets its own client.
 *
 * Our server is the real `mssgw serve` in its own process on free loopback ports, in a fresh
 * folder (removed at the end) or in `--data=DIR` (kept, seeded once: later runs skip seeding).
 * Dovecot is measured when its bench peer answers on 127.0.0.1:10143 (peers/setup-postfix-
 * dovecot.sh), or with `--dovecot`; `--no-dovecot` skips it. Its mailbox is seeded through
 * Postfix when empty. Flags (all `--name=value`):
 *   --runs=N (1–5, default 1)   --only=fetch10,random50,…   --count=N (default 2000)
 *   --tls=starttls|imaps|none   --idle=N (default 1000)     --seed=N (default 42)
 *                   none: clear text on both sides, as the kit's published Dovecot figures
 *                   (ours with imap.clearTextLoginFrom: 127.0.0.1, Dovecot trusts loopback)
 *   --workers=N     our IMAP served by N worker processes (config imap.workers; their
 *                   memory and CPU are counted with the server's, as Dovecot's processes are)
 *   --profile=DIR   our server runs under `node --cpu-prof` (seeding excluded); the profile's
 *                   heaviest functions and files are printed at the end
 * Every loop is bounded (runs, script deadlines); everything started here is stopped here.
 */
import { spawn } from 'node:child_process';
import { randomBytes, scryptSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ImapFlow } from 'imapflow';
import * as admin from '../src/admin/provisioning.js';
import { openStore } from '../src/store/open.js';
import { initCertificates } from '../src/tls/certificates.js';
import { MSSGW, type Sandbox } from '../test/helpers/cli.js';
import type { Ports } from '../test/helpers/server.js';

const MEASURES = ['fetch10', 'fetch50', 'random50', 'idle', 'mbsync'] as const;
type Measure = (typeof MEASURES)[number];
type Figures = Record<string, number>;

const DOMAIN = 'bench.mssante.fr';
const USER = `user1@${DOMAIN}`;
const PASSWORD = 'bench passphrase for imap';
const DOVECOT = { smtp: 10025, imap: 10143, imaps: 10993, user: 'user1@bench.test', password: 'benchpass', cert: '/etc/dovecot/bench/cert.pem' };
/** what the scripts may take, beyond their own deadlines, before they are stopped */
const SCRIPT_SECONDS = 1500;

interface Options {
  runs: number;
  only: Measure[];
  count: number;
  seed: number;
  idle: number;
  /** IMAP worker processes of our server (config imap.workers) */
  workers: number;
  tls: 'starttls' | 'imaps' | 'none';
  dovecot: 'auto' | 'yes' | 'no';
  data?: string;
  profile?: string;
  scripts: string;
}

interface Target {
  name: 'ours' | 'dovecot';
  /** the port for the chosen TLS mode */
  port: number;
  user: string;
  password: string;
  /** regex of the server's processes (descendants included) for the scripts' /proc accounting */
  procPattern: string;
  /** what mbsync trusts */
  certFile: string;
}

function parseOptions(flags: string[]): Options {
  const o: Options = { runs: 1, only: [...MEASURES], count: 2000, seed: 42, idle: 1000, workers: 1, tls: 'starttls', dovecot: 'auto', scripts: '/work/shared/bench' };
  for (const flag of flags) {
    const [key, value = ''] = flag.replace(/^--/, '').split('=', 2) as [string, string?];
    const int = (lo: number, hi: number) => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < lo || n > hi) throw new Error(`--${key} takes a whole number from ${lo} to ${hi}`);
      return n;
    };
    if (key === 'runs') o.runs = int(1, 5);
    else if (key === 'count') o.count = int(1, 20000);
    else if (key === 'seed') o.seed = int(0, 1e9);
    else if (key === 'idle') o.idle = int(1, 5000);
    else if (key === 'workers') o.workers = int(1, 16);
    else if (key === 'only') {
      const bad = value.split(',').filter((m) => !MEASURES.includes(m as Measure));
      if (bad.length) throw new Error(`--only: unknown ${bad.join(', ')}; known: ${MEASURES.join(', ')}`);
      o.only = value.split(',') as Measure[];
    } else if (key === 'tls' && (value === 'starttls' || value === 'imaps' || value === 'none')) o.tls = value;
    else if (key === 'dovecot') o.dovecot = 'yes';
    else if (key === 'no-dovecot') o.dovecot = 'no';
    else if (key === 'data' && value) o.data = path.resolve(value);
    else if (key === 'profile' && value) o.profile = path.resolve(value);
    else if (key === 'scripts' && value) o.scripts = path.resolve(value);
    else throw new Error(`unknown flag ${flag}`);
  }
  return o;
}

/**
 * The bench user's password, hashed with scrypt at N = 2^10 instead of 2^15 (the stored form
 * names its parameters, so the login path is unchanged). 1,000 logins at the real cost take
 * minutes on a loaded 2-core machine and are no figure of this benchmark; Dovecot's bench peer
 * keeps plain passwords.
 */
function benchHash(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, 32, { N: 1 << 10, r: 8, p: 1 });
  return ['scrypt', 1 << 10, 8, 1, salt.toString('base64'), key.toString('base64')].join('$');
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const log = (text: string): void => {
  process.stderr.write(`${text}\n`);
};

/** Runs one shared script; its human lines go to stderr, its `JSON {…}` line is the result. */
function runScript(file: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; json?: Record<string, any> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let json: Record<string, any> | undefined;
    let rest = '';
    const onData = (d: Buffer) => {
      rest += d.toString();
      const lines = rest.split('\n');
      rest = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('JSON ')) json = JSON.parse(line.slice(5));
        else if (line.trim()) log(`    ${line}`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d: Buffer) => log(`    ${d.toString().trimEnd()}`));
    // The scripts bound themselves; this only stops one that hangs past its own deadline.
    const timer = setTimeout(() => child.kill('SIGTERM'), (SCRIPT_SECONDS + 120) * 1000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (rest.startsWith('JSON ')) json = JSON.parse(rest.slice(5));
      resolve({ code: code ?? -1, json });
    });
  });
}

/** INBOX's message count, over STARTTLS (both servers offer it; ours requires it). */
async function inboxCount(port: number, user: string, password: string): Promise<number> {
  const client = new ImapFlow({ host: '127.0.0.1', port, secure: false, doSTARTTLS: true, tls: { rejectUnauthorized: false }, auth: { user, pass: password }, logger: false });
  await client.connect();
  try {
    const status = await client.status('INBOX', { messages: true });
    return status ? (status.messages ?? 0) : 0;
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/** Whether the Dovecot bench peer answers on its loopback port. */
function dovecotAnswers(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port: DOVECOT.imap });
    const done = (yes: boolean) => {
      socket.destroy();
      resolve(yes);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (d) => done(d.toString().startsWith('* OK') && d.includes('Dovecot')));
  });
}

/** Fills a mailbox with `count` messages through SMTP unless it already holds them. */
async function seed(o: Options, name: string, imapPort: number, user: string, password: string, smtpArgs: string[]): Promise<void> {
  const have = await inboxCount(imapPort, user, password);
  if (have === o.count) return log(`${name}: INBOX already holds ${have} messages`);
  if (have !== 0) throw new Error(`${name}: INBOX holds ${have} messages, not 0 or ${o.count}: empty it (or use a fresh --data) so both servers hold the same mailbox`);
  log(`${name}: seeding ${o.count} messages (seed ${o.seed})`);
  const started = performance.now();
  const r = await runScript(path.join(o.scripts, 'seed-mailbox'), [...smtpArgs, '--count', String(o.count), '--seed', String(o.seed), '--max-seconds', '1800']);
  const now = await inboxCount(imapPort, user, password);
  if (r.code !== 0 || now !== o.count) throw new Error(`${name}: seeding failed (exit ${r.code}, INBOX holds ${now} of ${o.count})`);
  log(`${name}: seeded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/** One measurement against one server: the figures that matter, from the script's JSON. */
async function measure(o: Options, m: Measure, t: Target): Promise<Figures> {
  const common = ['--host', '127.0.0.1', '--port', String(t.port), '--user', t.user, '--users', '1', '--password', t.password, '--tls', o.tls];
  const fail = (r: { code: number; json?: Record<string, any> }) => {
    if (!r.json) throw new Error(`${m} on ${t.name}: the script gave no result (exit ${r.code})`);
    return r.json;
  };
  if (m === 'fetch10' || m === 'fetch50' || m === 'random50') {
    const clients = m === 'fetch10' ? 10 : 50;
    const full = m !== 'random50';
    const r = fail(
      await runScript(path.join(o.scripts, 'imap_load.py'), [
        ...common,
        '--clients', String(clients),
        '--rounds', full ? '1' : '0',
        '--random-fetches', full ? '0' : '100',
        '--max-seconds', String(SCRIPT_SECONDS),
        '--server-proc-pattern', t.procPattern,
        '--label', `${t.name}-${m}`,
      ]),
    );
    const phase = full ? r.fetch_all : r.fetch_one;
    const lat = full ? r.latency?.FETCH_ALL : r.latency?.FETCH_ONE;
    const f: Figures = { errors: r.errors + (phase?.size_mismatch ?? 0), server_cpu_s: r.server_cpu_s ?? NaN, cpu_busy_pct: phase?.cpu?.busy_pct ?? NaN };
    f.msg_per_s = phase?.msgs_per_s ?? NaN;
    f.MB_per_s = phase?.MB_per_s ?? NaN;
    if (full) f.p99_s = (lat?.p99_ms ?? NaN) / 1000;
    else Object.assign(f, { p50_ms: lat?.p50_ms ?? NaN, p99_ms: lat?.p99_ms ?? NaN });
    return f;
  }
  if (m === 'idle') {
    const r = fail(
      await runScript(path.join(o.scripts, 'imap_idle_memory.py'), [
        ...common,
        '--connections', String(o.idle),
        '--hold-seconds', '20',
        '--settle-seconds', '5',
        '--proc-pattern', t.procPattern,
        '--max-seconds', String(SCRIPT_SECONDS),
        '--label', t.name,
      ]),
    );
    return { pss_KiB_per_conn: r.per_conn_pss_kb, rss_KiB_per_conn: r.per_conn_rss_kb, opened: r.opened, alive: r.alive_at_end_of_hold, errors: r.errors, pss_idle_MiB: r.idle.pss_kb / 1024 };
  }
  const r = fail(
    await runScript(path.join(o.scripts, 'mbsync-sync.sh'), ['127.0.0.1', String(t.port), t.user, t.password], {
      TLS: o.tls,
      CERT_FILE: t.certFile,
      MAX_SECONDS: String(SCRIPT_SECONDS),
    }),
  );
  return { wall_s: r.wall_s, msgs: r.msgs, MB_per_s: r.MB_per_s, errors: r.rc === 0 && r.msgs === o.count ? 0 : 1 };
}

/** the figure each measurement is judged on, and which way is better */
const HEADLINE: Record<Measure, Array<{ key: string; label: string; higherIsBetter: boolean }>> = {
  fetch10: [
    { key: 'msg_per_s', label: 'msg/s', higherIsBetter: true },
    { key: 'MB_per_s', label: 'MB/s', higherIsBetter: true },
    { key: 'p99_s', label: 'p99 whole fetch s', higherIsBetter: false },
  ],
  fetch50: [
    { key: 'msg_per_s', label: 'msg/s', higherIsBetter: true },
    { key: 'MB_per_s', label: 'MB/s', higherIsBetter: true },
    { key: 'p99_s', label: 'p99 whole fetch s', higherIsBetter: false },
  ],
  random50: [
    { key: 'p50_ms', label: 'p50 ms', higherIsBetter: false },
    { key: 'p99_ms', label: 'p99 ms', higherIsBetter: false },
  ],
  idle: [
    { key: 'pss_KiB_per_conn', label: 'PSS KiB/conn', higherIsBetter: false },
    { key: 'rss_KiB_per_conn', label: 'RSS KiB/conn', higherIsBetter: false },
  ],
  mbsync: [{ key: 'wall_s', label: 'wall s', higherIsBetter: false }],
};

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const fmt = (n: number) => (Number.isNaN(n) ? '-' : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const range = (xs: number[]) => (xs.length === 0 ? '-' : xs.length === 1 ? fmt(xs[0]!) : `${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`);

/** The profile's self time by function and by file: where the server's CPU went. */
function summariseProfile(dir: string, since: number): string {
  type Node = { id: number; callFrame: { functionName: string; url: string; lineNumber: number } };
  type Profile = { nodes: Node[]; samples: number[]; timeDeltas: number[] };
  // tsx's loader thread writes a profile too: the main thread's is the one that was busy.
  const busy = (q: Profile) => {
    const idle = new Set(q.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
    return q.samples.reduce((sum, id, i) => sum + (idle.has(id) ? 0 : (q.timeDeltas[i] ?? 0)), 0);
  };
  const candidates = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(dir, f))
    .filter((f) => statSync(f).mtimeMs >= since)
    .map((file) => ({ file, profile: JSON.parse(readFileSync(file, 'utf8')) as Profile }));
  if (candidates.length === 0) return `no new .cpuprofile in ${dir}`;
  const { file: newest, profile: p } = candidates.sort((a, b) => busy(b.profile) - busy(a.profile))[0]!;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const fns = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  const short = (url: string) => url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, 'node_modules/').replace(/^.*\/work\/main\//, '');
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const file = url ? short(url) : functionName;
    const fn = `${functionName || '(anonymous)'} ${url ? `${file}:${lineNumber + 1}` : ''}`.trim();
    fns.set(fn, (fns.get(fn) ?? 0) + us);
    byFile.set(file, (byFile.get(file) ?? 0) + us);
    total += us;
  }
  const top = (m: Map<string, number>, n: number) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, us]) => `  ${((us / total) * 100).toFixed(1).padStart(5)} %  ${(us / 1e6).toFixed(2).padStart(7)} s  ${k}`);
  return [`CPU profile ${newest}: ${(total / 1e6).toFixed(1)} s sampled`, 'self time by function:', ...top(fns, 30), 'self time by file:', ...top(byFile, 20)].join('\n');
}

/**
 * A few connections in IDLE, opened and closed before the measurement, so that what every
 * first connection costs once (code compiled, TLS and login caches) is not charged to each.
 */
async function warmUp(o: Options, t: Target): Promise<void> {
  const args = ['--host', '127.0.0.1', '--port', String(t.port), '--user', t.user, '--users', '1', '--password', t.password, '--tls', o.tls];
  await runScript(path.join(o.scripts, 'imap_idle_memory.py'), [...args, '--connections', '20', '--hold-seconds', '0', '--settle-seconds', '0', '--proc-pattern', t.procPattern, '--max-seconds', '120', '--label', `${t.name}-warm-up`]);
}

interface OurServer {
  ports: Ports;
  stop(): Promise<void>;
}

/**
 * `mssgw serve` in its own process on free loopback ports, as test/helpers/server.ts starts it,
 * but with node flags of our own (`--cpu-prof` is not allowed in NODE_OPTIONS).
 */
async function startOurs(box: Sandbox, o: Options, profiled: boolean): Promise<OurServer> {
  // Dovecot's bench peer allows 5,000 connections per user and IP: the same here.
  const configFile = path.join(box.dir, 'config-bench.json');
  const imap = {
    maxConnectionsPerClient: 5000,
    maxConnectionsPerMailbox: 5000,
    ...(o.workers > 1 ? { workers: o.workers } : {}),
    ...(o.tls === 'none' ? { clearTextLoginFrom: ['127.0.0.1'] } : {}),
  };
  writeFileSync(configFile, JSON.stringify({ log: { level: 'warn' }, imap }));
  const nodeFlags = profiled ? ['--cpu-prof', `--cpu-prof-dir=${o.profile}`] : [];
  const ports = { MSS_SMTP_PORT: '0', MSS_SUBMISSION_PORT: '0', MSS_IMAP_PORT: '0', MSS_IMAPS_PORT: '0', MSS_HTTP_PORT: '0' };
  const child = spawn(process.execPath, [...nodeFlags, MSSGW, 'serve', '--config', configFile], { cwd: box.dir, env: { ...box.env, ...ports }, stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  child.stderr.on('data', (d: Buffer) => (logs = (logs + d.toString()).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    const ready = await new Promise<Ports>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`our server is not ready after 60 s:\n${logs}`)), 60_000);
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (!line.startsWith('{')) return;
        const event = JSON.parse(line) as { event?: string; ports?: Ports };
        if (event.event === 'ready' && event.ports) {
          clearTimeout(timer);
          resolve(event.ports);
        }
      });
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`our server exited before ready:\n${logs}`));
      });
    });
    return { ports: ready, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export async function benchImap(flags: string[] = []): Promise<Record<string, number | string>> {
  const o = parseOptions(flags);
  const started = Date.now();
  for (const script of ['seed-mailbox', 'imap_load.py', 'imap_idle_memory.py', 'mbsync-sync.sh']) {
    if (!existsSync(path.join(o.scripts, script))) throw new Error(`${script} not found in ${o.scripts} (--scripts=DIR)`);
  }
  const withDovecot = o.dovecot === 'yes' || (o.dovecot === 'auto' && (await dovecotAnswers()));
  const dir = o.data ?? mkdtempSync(path.join(tmpdir(), 'mssgw-bench-imap-'));
  const box: Sandbox = { dir, dataDir: path.join(dir, 'data'), certDir: path.join(dir, 'certs'), env: { ...process.env, MSS_DATA_DIR: path.join(dir, 'data'), MSS_CERT_DIR: path.join(dir, 'certs'), MSS_LOG_LEVEL: 'warn' } };
  delete box.env.MSS_CONFIG;
  mkdirSync(box.dataDir, { recursive: true });
  initCertificates(box.certDir, 'localhost', '127.0.0.1');
  const store = openStore(box.dataDir);
  try {
    const p = { store, citizenDomain: 'patient.mssante.fr', actor: 'bench' };
    await admin.addLocalDomain(p, DOMAIN);
    if (!(await store.mailboxes.byAddress(USER))) await admin.addPro(p, USER, { type: 'PER', name: 'Bench', password: PASSWORD });
    await store.mailboxes.setPasswordHash(USER, benchHash(PASSWORD));
  } finally {
    await store.close();
  }

  let server: OurServer | undefined;
  const results = new Map<string, Figures[]>();
  const loads: number[] = [];
  try {
    server = await startOurs(box, o, false);
    await seed(o, 'ours', server.ports.imap, USER, PASSWORD, ['--host', '127.0.0.1', '--port', String(server.ports.submission), '--starttls', '--smtp-user', USER, '--smtp-pass', PASSWORD, '--sender', USER, '--rcpt', USER]);
    if (withDovecot) {
      await seed(o, 'dovecot', DOVECOT.imap, DOVECOT.user, DOVECOT.password, ['--host', '127.0.0.1', '--port', String(DOVECOT.smtp), '--rcpt', DOVECOT.user, '--wait-imap', `127.0.0.1:${DOVECOT.imap}`, '--imap-user', DOVECOT.user, '--imap-pass', DOVECOT.password]);
    }
    if (o.profile) {
      // The profile covers the measurements only, not the seeding.
      mkdirSync(o.profile, { recursive: true });
      await server.stop();
      server = await startOurs(box, o, true);
    }
    const ourTarget = (s: OurServer): Target => ({
      name: 'ours',
      port: o.tls === 'imaps' ? s.ports.imaps : s.ports.imap,
      user: USER,
      password: PASSWORD,
      procPattern: `mssgw\\.js serve --config ${escapeRegex(box.dir)}/config-`,
      certFile: path.join(box.certDir, 'server.crt'),
    });
    const dovecot: Target = { name: 'dovecot', port: o.tls === 'imaps' ? DOVECOT.imaps : DOVECOT.imap, user: DOVECOT.user, password: DOVECOT.password, procPattern: '^/usr/sbin/dovecot', certFile: DOVECOT.cert };
    // Runs alternate the servers measure by measure, so a busier moment of the machine falls on both.
    for (let run = 1; run <= o.runs; run++) {
      for (const m of o.only) {
        if (m === 'idle' && !o.profile) {
          // A fresh process: the garbage the fetches left would otherwise be collected during
          // the measurement and make connections look free (or dear).
          await server.stop();
          server = await startOurs(box, o, false);
        }
        for (const t of withDovecot ? [ourTarget(server), dovecot] : [ourTarget(server)]) {
          log(`run ${run}/${o.runs}: ${m} against ${t.name} (load ${loadavg().map((l) => l.toFixed(2)).join(' ')})`);
          if (m === 'idle') await warmUp(o, t);
          const f = await measure(o, m, t);
          if (f.errors) log(`  ${m} on ${t.name}: ${f.errors} error(s), see above`);
          loads.push(loadavg()[0]!);
          const key = `${t.name}:${m}`;
          results.set(key, [...(results.get(key) ?? []), f]);
        }
      }
    }
  } finally {
    await server?.stop();
    if (!o.data) rmSync(dir, { recursive: true, force: true });
  }

  const figures: Record<string, number | string> = { tls: o.tls, workers: o.workers, runs: o.runs, messages: o.count, load1_min: Math.min(...loads), load1_max: Math.max(...loads) };
  const lines = [`IMAP, ${o.count} mixed messages, tls=${o.tls}, our IMAP workers: ${o.workers}, ${o.runs} run(s): median (min–max)`, 'measure   figure              ours                     Dovecot                  ours ÷ Dovecot'];
  for (const m of o.only) {
    for (const h of HEADLINE[m]) {
      const mine = (results.get(`ours:${m}`) ?? []).map((f) => f[h.key]!);
      const theirs = (results.get(`dovecot:${m}`) ?? []).map((f) => f[h.key]!);
      figures[`ours_${m}_${h.key}`] = median(mine);
      let ratio = '';
      if (theirs.length) {
        figures[`dovecot_${m}_${h.key}`] = median(theirs);
        const r = median(mine) / median(theirs);
        figures[`ratio_${m}_${h.key}`] = Math.round(r * 1000) / 1000;
        ratio = `${r.toFixed(2)} (${(h.higherIsBetter ? r >= 1 : r <= 1) ? 'better or equal' : 'worse'})`;
      }
      lines.push(`${m.padEnd(10)}${h.label.padEnd(20)}${range(mine).padEnd(25)}${range(theirs).padEnd(25)}${ratio}`);
    }
  }
  lines.push(`machine load (1 min) during the runs: ${fmt(Math.min(...loads))}–${fmt(Math.max(...loads))}`);
  lines.push('bars (issue 9): full fetch msg/s ≥ Dovecot; random p99 < Dovecot; idle ≤ 53 KiB/conn (Dovecot ÷ 10); mbsync faster');
  process.stdout.write(`${lines.join('\n')}\n`);
  if (o.profile) process.stdout.write(`${summariseProfile(o.profile, started)}\n`);
  return figures;
}
