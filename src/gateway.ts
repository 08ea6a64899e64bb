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
import { startRelayWorker } from './relay/worker.js';
import { createSmtpDoor } from './smtp/door.js';
import { fsBlobStore } from './store/fs/blobs.js';
import { openStore } from './store/open.js';
import type { BlobStore, Store } from './store/types.js';
import { initCertificates, readTlsMaterial } from './tls/certificates.js';
import { createHttpServer } from './web/http.js';
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

function listenOn(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function httpListener(server: Server): Listener {
  return {
    name: 'http',
    listen: (port, host) => listenOn(server, port, host),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        (server as Server & { closeIdleConnections?: () => void }).closeIdleConnections?.();
      }),
  };
}

function smtpListener(name: DoorName, smtp: SMTPServer): Listener {
  return {
    name,
    listen: (port, host) => listenOn(smtp.server, port, host),
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
  await seedDomains(store, config);
  const blobs = fsBlobStore(config.dataDir);
  const metrics = createMetrics();
  const login = createLogin(store, createThrottle(config.auth.maxFailures, config.auth.failureWindowSeconds * 1000));

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
    smtpListener('smtp', smtpDoor('mx')),
    smtpListener('submission', smtpDoor('submission')),
    httpListener(createHttpServer({ metrics })),
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
