/**
 * IMAP in worker processes (imap.workers > 1). One Node process encrypts and writes on one
 * core; a FETCH of a whole mailbox is TLS and socket writes for the most part, so more cores
 * need more processes. The workers are node:cluster children of the gateway: the primary holds
 * both IMAP listening sockets and hands each new connection to the next worker in turn; every
 * worker opens the same data folder (worker-main.ts).
 *
 * Start resolves when every worker listens on both ports (the ready line waits for it). A
 * worker that dies is replaced, at most once a second. Stop asks each worker to say BYE to its
 * sessions and exit, and waits for them (killing any still there at the deadline).
 */
import cluster, { type Worker } from 'node:cluster';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { countsHub } from './worker-counts.js';
import { WORKER_ENV, type ToPrimary, type ToWorker, type WorkerSpec } from './worker-messages.js';

export interface ImapWorkerPool {
  ports: { imap: number; imaps: number };
  /** how many workers run now */
  readonly size: number;
  stop(): Promise<void>;
}

/** A worker could not bind a port: the gateway says which door and why (ListenError). */
export class WorkerListenError extends Error {
  override name = 'WorkerListenError';
  constructor(
    readonly door: 'imap' | 'imaps',
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

const STOP_DEADLINE_MS = 8_000;
const RESTART_GAP_MS = 1_000;

/**
 * A free port for a door configured on 0. Both IMAP servers of a worker asking the primary for
 * port 0 would be given the same shared handle: each gets a real number before the first fork.
 */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** The worker's entry: the TypeScript source under tsx (a checkout), the compiled file otherwise. */
function entry(): { exec: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  const source = here.endsWith('.ts');
  const exec = path.join(path.dirname(here), source ? 'worker-main.ts' : 'worker-main.js');
  return { exec, execArgv: source ? [...process.execArgv, '--import', import.meta.resolve('tsx/esm')] : process.execArgv };
}

export async function startImapWorkers(deps: { config: Config; log: Logger; metrics: Metrics; count: number }): Promise<ImapWorkerPool> {
  const { config, log, metrics, count } = deps;
  if (!cluster.isPrimary) throw new Error('IMAP workers are started by the primary process only');
  cluster.setupPrimary({ ...entry(), args: [] });

  const workers = new Map<number, Worker>();
  /** the workers listening, whose message handlers are in place */
  const ready = new Set<number>();
  const hub = countsHub((id, message: ToWorker) => {
    const w = workers.get(id);
    if (w?.isConnected()) w.send(message);
  });
  let stopping = false;
  let lastRestart = 0;
  const ports = { imap: 0, imaps: 0 };
  const wanted = {
    imap: config.ports.imap || (await freePort(config.host)),
    imaps: config.ports.imaps || (await freePort(config.host)),
  };

  const onMessage = (worker: Worker, message: ToPrimary) => {
    switch (message.t) {
      case 'count':
        return hub.hear(worker.id, message);
      case 'metric': {
        const metric = metrics[message.name] as unknown as Record<'inc' | 'dec', (labels: Record<string, string>, value?: number) => void>;
        return metric[message.op]?.(message.labels, message.value);
      }
    }
  };

  /** forks one worker; resolves once it listens on both ports */
  const fork = (index: number): Promise<Worker> =>
    new Promise((resolve, reject) => {
      const spec: WorkerSpec = { config: { ...config, ports: { ...config.ports, ...wanted } }, index };
      const worker = cluster.fork({ [WORKER_ENV]: JSON.stringify(spec) });
      workers.set(worker.id, worker);
      let listening = false;
      worker.on('message', (message: ToPrimary) => {
        if (message.t === 'listening') {
          listening = true;
          ready.add(worker.id);
          // Told the counts only now: before, its handlers may not be there to hear them.
          hub.join(worker.id);
          ports.imap = message.ports.imap;
          ports.imaps = message.ports.imaps;
          resolve(worker);
        } else if (message.t === 'listen-failed') {
          reject(new WorkerListenError(message.door, message.code, message.message));
        } else onMessage(worker, message);
      });
      worker.on('exit', (code, signal) => {
        workers.delete(worker.id);
        ready.delete(worker.id);
        hub.leave(worker.id);
        if (!listening) return reject(new Error(`IMAP worker ${index} exited before listening (code ${code}, signal ${signal})`));
        if (stopping) return;
        log.error({ worker: index, code, signal }, code === 0 ? 'IMAP worker stopped on its own: starting another' : 'IMAP worker died: starting another');
        const wait = Math.max(0, lastRestart + RESTART_GAP_MS - Date.now());
        lastRestart = Date.now() + wait;
        setTimeout(() => {
          if (!stopping) fork(index).catch((err: unknown) => log.error({ err, worker: index }, 'IMAP worker could not be restarted'));
        }, wait).unref();
      });
    });

  const stop = async (): Promise<void> => {
    stopping = true;
    const all = [...workers.values()];
    await Promise.all(
      all.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.isDead()) return resolve();
            const force = setTimeout(() => w.process.kill('SIGKILL'), STOP_DEADLINE_MS);
            w.once('exit', () => {
              clearTimeout(force);
              resolve();
            });
            // One still starting has no sessions, and may not hear a message yet.
            if (ready.has(w.id) && w.isConnected()) w.send({ t: 'stop' } satisfies ToWorker);
            else w.process.kill('SIGTERM');
          }),
      ),
    );
  };

  try {
    // The first binds the ports in the primary; the others then share them, starting together.
    await fork(1);
    await Promise.all(Array.from({ length: count - 1 }, (_, i) => fork(i + 2)));
  } catch (err) {
    await stop();
    throw err;
  }
  log.info({ workers: count, ports }, 'IMAP workers listening');
  return {
    ports,
    get size() {
      return workers.size;
    },
    stop,
  };
}
