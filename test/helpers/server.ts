/** Starts the real server (`mssgw serve`) in its own process on free loopback ports. */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { MSSGW, type Sandbox } from './cli.js';

export interface Ports {
  smtp: number;
  submission: number;
  imap: number;
  imaps: number;
  http: number;
}

export interface RunningServer {
  process: ChildProcess;
  ports: Ports;
  /** everything the server wrote on stderr (its JSON logs) */
  logs(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

let configs = 0;

/** Every server this test file started and that has not exited yet. */
const running = new Set<ChildProcess>();

/**
 * The guard: a test file must stop every server it started. Called after each file's own
 * afterAll hooks (test/setup/server-guard.ts, a setup file, registers it first, so it runs
 * last): a server still running here is killed and the file fails, naming it.
 */
export async function killLeftServers(): Promise<void> {
  const left = [...running];
  if (left.length === 0) return;
  await Promise.all(
    left.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
  throw new Error(`${left.length} mssgw serve process(es) left running by this test file (pid ${left.map((c) => c.pid).join(', ')}): killed; stop every server in afterAll`);
}

/**
 * Every port is free (0) except those given in `fixed`. Ports go through the environment,
 * which wins over the config file (src/config.ts).
 */
export async function startServer(box: Sandbox, config: Record<string, unknown> = {}, fixed: Partial<Ports> = {}): Promise<RunningServer> {
  const configFile = path.join(box.dir, `config-${process.pid}-${++configs}.json`);
  writeFileSync(configFile, JSON.stringify(config));
  const port = (name: keyof Ports) => String(fixed[name] ?? 0);
  const child = spawn(process.execPath, [MSSGW, 'serve', '--config', configFile], {
    cwd: box.dir,
    env: {
      ...box.env,
      MSS_SMTP_PORT: port('smtp'),
      MSS_SUBMISSION_PORT: port('submission'),
      MSS_IMAP_PORT: port('imap'),
      MSS_IMAPS_PORT: port('imaps'),
      MSS_HTTP_PORT: port('http'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let logs = '';
  child.stderr!.on('data', (d: Buffer) => (logs += d));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );

  const ports = await new Promise<Ports>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not ready is not a reason to leave it running.
      child.kill('SIGKILL');
      reject(new Error(`server not ready after 30 s:\n${logs}`));
    }, 30_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const event = JSON.parse(line) as { event?: string; ports?: Ports };
        if (event.event === 'ready' && event.ports) {
          clearTimeout(timer);
          resolve(event.ports);
        }
      } catch {
        // not the ready line
      }
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before ready:\n${logs}`));
    });
  });

  return {
    process: child,
    ports,
    logs: () => logs,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
}
