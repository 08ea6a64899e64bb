/**
 * An IMAP worker process (imap.workers > 1): both IMAP listeners, on the ports the primary
 * shares with its siblings (node:cluster), over the same data folder. SQLite in WAL mode lets
 * every process read and write; the change feed hears the others' commits. The caps are
 * counted with the siblings through the primary, and the metrics this process moves are moved
 * in the primary's registry, which /metrics shows.
 *
 * It stops, saying BYE to its sessions, when the primary says so, when the primary is gone, or
 * on SIGTERM/SIGINT (Ctrl-C reaches the whole process group).
 */
import { createLogin } from '../auth/login.js';
import { createThrottle } from '../auth/throttle.js';
import { createLogger } from '../log.js';
import { createMetrics, type Metrics } from '../metrics.js';
import { fsBlobStore } from '../store/fs/blobs.js';
import { openStore } from '../store/open.js';
import { readTlsMaterial } from '../tls/certificates.js';
import { createImapListeners, type ImapListener } from './server.js';
import { sharedCounts } from './worker-counts.js';
import { WORKER_ENV, type ForwardedMetric, type ToPrimary, type ToWorker, type WorkerSpec } from './worker-messages.js';

const spec = JSON.parse(process.env[WORKER_ENV] ?? 'null') as WorkerSpec | null;
if (!spec || typeof process.send !== 'function') {
  process.stderr.write('mssgw: the IMAP worker runs only under `mssgw serve` (imap.workers > 1)\n');
  process.exit(2);
}
const { config } = spec;
const tell = (message: ToPrimary): void => {
  if (process.connected) process.send!(message);
};

const log = createLogger(config.log.level).child({ worker: spec.index });
const store = openStore(config.dataDir);
const blobs = fsBlobStore(config.dataDir);
const tls = readTlsMaterial(config.tls.certDir);
const metrics = forwarded(createMetrics());
const throttle = createThrottle(store.loginThrottle, config.auth);
const login = createLogin({ store, throttle, log, metrics, concurrentPerClient: config.auth.concurrentPerClient });
const counts = sharedCounts(
  { total: config.imap.maxConnections, perClient: config.imap.maxConnectionsPerClient, perMailbox: config.imap.maxConnectionsPerMailbox },
  tell,
);
const listeners = createImapListeners({ services: { config, store, blobs, login, log, metrics }, tls, counts });

let stopping: Promise<void> | undefined;
function stop(): Promise<void> {
  stopping ??= (async () => {
    await Promise.all(listeners.map((l) => l.close()));
    await store.close();
    process.exit(0);
  })();
  return stopping;
}

process.on('message', (message: ToWorker) => {
  if (message.t === 'stop') void stop();
  else counts.hear(message);
});
process.on('disconnect', () => void stop());
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void stop());

/** Metrics moved here are moved in the primary too: its /metrics is the one scraped. */
function forwarded(metrics: Metrics): Metrics {
  const names: ForwardedMetric[] = ['connections', 'refusals', 'loginFailures', 'loginBlocks'];
  for (const name of names) {
    const metric = metrics[name] as unknown as Record<'inc' | 'dec', (labels?: Record<string, string> | number, value?: number) => void>;
    for (const op of ['inc', 'dec'] as const) {
      if (typeof metric[op] !== 'function') continue;
      metric[op] = (labels, value) => {
        if (typeof labels === 'number') tell({ t: 'metric', name, op, labels: {}, value: labels });
        else tell({ t: 'metric', name, op, labels: labels ?? {}, value });
      };
    }
  }
  return metrics;
}

function listen(listener: ImapListener, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    listener.server.once('error', reject);
    listener.server.listen(port, config.host, () => {
      listener.server.off('error', reject);
      const address = listener.server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

const ports = { imap: 0, imaps: 0 };
for (const listener of listeners) {
  try {
    ports[listener.name] = await listen(listener, config.ports[listener.name]);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    tell({ t: 'listen-failed', door: listener.name, code: e.code, message: e.message });
    await stop();
  }
}
log.debug({ ports }, 'IMAP worker listening');
tell({ t: 'listening', ports });
