/**
 * Assembles the running service from its parts: storage, certificates, the pipeline, and one
 * listener per door. Every door is started here and stopped here, in reverse order.
 */
import type { AddressInfo, Server } from 'node:net';
import type { SMTPServer } from 'smtp-server';
import { createLogin } from './auth/login.js';
import { createThrottle } from './auth/throttle.js';
import type { Config } from './config.js';
import { createLogger, type Logger } from './log.js';
import { createMetrics, type Metrics } from './metrics.js';
import { startNotifyWorker } from './notify/worker.js';
import { generatedDelivery } from './pipeline/generated.js';
import { createPipeline, type Pipeline } from './pipeline/pipeline.js';
import { relayBacklog, startRelayWorker } from './relay/worker.js';
import { createSmtpDoor } from './smtp/door.js';
import { createImapListeners, type ImapListener } from './imap/server.js';
import { startImapWorkers, WorkerListenError, type ImapWorkerPool } from './imap/workers.js';
import { fsBlobStore } from './store/fs/blobs.js';
import { openStore } from './store/open.js';
import type { BlobStore, Store } from './store/types.js';
import { initCertificates, readTlsMaterial } from './tls/certificates.js';
import { createWebApp } from './web/app.js';
import type { FastifyInstance } from 'fastify';
import { startOrphanSweep } from './jobs/orphans.js';
import { startRetentionJob } from './jobs/retention.js';

export type DoorName = 'smtp' | 'submission' | 'imap' | 'imaps' | 'http';

export interface Gateway {
  config: Config;
  store: Store;
  blobs: BlobStore;
  pipeline: Pipeline;
  log: Logger;
  metrics: Metrics;
  ports: Partial<Record<DoorName, number>>;
  stop(): Promise<void>;
}

interface Listener {
  name: DoorName;
  listen(port: number, host: string): Promise<number>;
  /** stops accepting, ends the sessions in progress cleanly, resolves when all are gone */
  close(): Promise<void>;
}

/** What the operator reads when a listener cannot bind: which door, where, why, which setting. */
const DOOR_LABELS: Record<DoorName, { label: string; setting: string }> = {
  smtp: { label: 'SMTP MX', setting: 'ports.smtp / MSS_SMTP_PORT' },
  submission: { label: 'SMTP submission', setting: 'ports.submission / MSS_SUBMISSION_PORT' },
  imap: { label: 'IMAP', setting: 'ports.imap / MSS_IMAP_PORT' },
  imaps: { label: 'IMAPS', setting: 'ports.imaps / MSS_IMAPS_PORT' },
  http: { label: 'HTTP', setting: 'ports.http / MSS_HTTP_PORT' },
};

/** A listener could not bind its address: serve prints the message alone and exits 1. */
export class ListenError extends Error {
  override name = 'ListenError';
  constructor(
    readonly door: DoorName,
    readonly address: string,
    readonly code: string | undefined,
    cause: Error,
  ) {
    const { label, setting } = DOOR_LABELS[door];
    const why =
      code === 'EADDRINUSE' ? 'is already in use by another process'
      : code === 'EACCES' ? 'is not allowed for this user (a port under 1024 needs privileges)'
      : code === 'EADDRNOTAVAIL' ? 'is not an address of this machine (check host / MSS_HOST)'
      : `cannot be used: ${cause.message}`;
    super(`cannot start the ${label} listener: ${address} ${why} (set ${setting})`, { cause });
  }
}

function listenOn(name: DoorName, server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    // While binding, an error is the bind's, reported once as a ListenError; the server's own
    // 'error' listeners (smtp-server forwards them to the door's "connection error" log) are
    // set aside until then.
    const others = server.rawListeners('error') as Array<(err: Error) => void>;
    server.removeAllListeners('error');
    const restore = () => {
      server.off('error', failed);
      for (const l of others) server.on('error', l);
    };
    const failed = (err: NodeJS.ErrnoException) => {
      restore();
      const where = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
      reject(new ListenError(name, where, err.code, err));
    };
    server.once('error', failed);
    server.listen(port, host, () => {
      restore();
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** The HTTP door (Fastify): close() ends keep-alive connections and event streams too. */
function httpListener(app: FastifyInstance): Listener {
  return {
    name: 'http',
    listen: async (port, host) => {
      await app.ready();
      return listenOn('http', app.server, port, host);
    },
    close: () => app.close(),
  };
}

/**
 * IMAP and IMAPS served by worker processes (imap.workers > 1): the first listen() starts them
 * all on both ports, the first close() stops them all.
 */
function imapWorkerListeners(config: Config, log: Logger, metrics: Metrics): Listener[] {
  let pool: Promise<ImapWorkerPool> | undefined;
  let stopped: Promise<void> | undefined;
  const start = () =>
    (pool ??= startImapWorkers({ config, log, metrics, count: config.imap.workers }).catch((err: unknown) => {
      if (!(err instanceof WorkerListenError)) throw err;
      const { host } = config;
      const port = config.ports[err.door];
      throw new ListenError(err.door, host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`, err.code, err);
    }));
  const close = () => (stopped ??= pool ? pool.then((p) => p.stop(), () => undefined) : Promise.resolve());
  return (['imap', 'imaps'] as const).map((name) => ({ name, listen: async () => (await start()).ports[name], close }));
}

/** IMAP and IMAPS: close() says BYE to every session and waits for them to end. */
function imapListener(imap: ImapListener): Listener {
  return {
    name: imap.name,
    listen: (port, host) => listenOn(imap.name, imap.server, port, host),
    close: () => imap.close(),
  };
}

function smtpListener(name: DoorName, smtp: SMTPServer): Listener {
  return {
    name,
    listen: (port, host) => listenOn(name, smtp.server, port, host),
    // smtp-server answers "421 Server shutting down" to open sessions and waits closeTimeout.
    close: () => new Promise((resolve) => smtp.close(() => resolve())),
  };
}

/** Seeds the domains named in the configuration; the CLI can add more at any time. */
async function seedDomains(store: Store, config: Config): Promise<void> {
  for (const domain of config.domains.local) await store.domains.addLocal(domain);
  if (config.domains.trusted.length > 0) await store.trust.addMany(config.domains.trusted, 'config');
}

export async function startGateway(config: Config, log: Logger = createLogger(config.log.level)): Promise<Gateway> {
  const certs = initCertificates(config.tls.certDir, config.hostname, config.host);
  if (certs.created) log.info({ certDir: config.tls.certDir }, 'development CA and server certificate created');
  const tls = readTlsMaterial(config.tls.certDir);
  const store = openStore(config.dataDir);
  if (!config.trust.requireClientCert) {
    log.warn(
      { setting: 'trust.requireClientCert' },
      'OPT-OUT: the MX accepts peers without a client certificate; senders are not bound to a certificate (development only)',
    );
  }
  if (config.imap.clearTextLoginFrom.length > 0) {
    log.warn(
      { setting: 'imap.clearTextLoginFrom', clients: config.imap.clearTextLoginFrom },
      'OPT-OUT: these clients may log in to IMAP without TLS (a TLS-terminating proxy or a benchmark only)',
    );
  }
  await seedDomains(store, config);
  const blobs = fsBlobStore(config.dataDir);
  const metrics = createMetrics();
  const throttle = createThrottle(store.loginThrottle, config.auth);
  const login = createLogin({ store, throttle, log, metrics, concurrentPerClient: config.auth.concurrentPerClient });

  metrics.watchRelayQueue(() => relayBacklog(store.relay));
  const relay = startRelayWorker({ store, blobs, config, log, tls, deliverLocal: generatedDelivery({ store, blobs, config }) });
  const notify = startNotifyWorker({ store, config, log });
  const pipeline = createPipeline({
    store,
    blobs,
    config,
    log,
    events: {
      // A committed delivery wakes the worker that has something new to send.
      committed(counts) {
        if (counts.relay) relay.kick();
        if (counts.notify) notify.kick();
      },
    },
  });

  const smtpDoor = (kind: 'mx' | 'submission') =>
    createSmtpDoor({ kind, config, pipeline, login, tls, log, metrics });
  const listeners: Listener[] = [
    // The MX door listens on the contract's `smtp` port (the ready line's key).
    smtpListener('smtp', smtpDoor('mx')),
    smtpListener('submission', smtpDoor('submission')),
    ...(config.imap.workers > 1
      ? imapWorkerListeners(config, log, metrics)
      : createImapListeners({ services: { config, store, blobs, login, log, metrics }, tls }).map(imapListener)),
    httpListener(
      await createWebApp({ config, store, blobs, pipeline, login, log, metrics, clientSetup: { config, domains: store.domains, ports: () => ports, caPem: tls.ca } }),
    ),
  ];

  const ports: Gateway['ports'] = {};
  const started: Listener[] = [];
  try {
    for (const listener of listeners) {
      ports[listener.name] = await listener.listen(config.ports[listener.name], config.host);
      started.push(listener);
    }
  } catch (err) {
    await Promise.all([...started.map((l) => l.close()), relay.stop(), notify.stop()]);
    await store.close();
    throw err;
  }
  const sweep = startOrphanSweep({ blobs, messages: store.messages, log });
  const retention = startRetentionJob({ store, blobs, config, log });
  log.info({ ports, dataDir: config.dataDir }, 'listening');

  let stopping: Promise<void> | undefined;
  return {
    config,
    store,
    blobs,
    pipeline,
    log,
    metrics,
    ports,
    stop() {
      stopping ??= (async () => {
        sweep.stop();
        retention.stop();
        // Doors and workers stop together: SIGTERM gives us 10 s in all.
        await Promise.all([...[...started].reverse().map((l) => l.close()), relay.stop(), notify.stop()]);
        await store.close();
        log.info('stopped');
      })();
      return stopping;
    },
  };
}
