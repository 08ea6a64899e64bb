/**
 * Assembles the running service from its parts: storage, certificates, and one listener per
 * door. Every door is started here and stopped here, in reverse order.
 */
import type { AddressInfo, Server } from 'node:net';
import type { Config } from './config.js';
import { createLogger, type Logger } from './log.js';
import { createMetrics, type Metrics } from './metrics.js';
import { openStore } from './store/open.js';
import type { Store } from './store/types.js';
import { initCertificates } from './tls/certificates.js';
import { createHttpServer } from './web/http.js';

export type DoorName = 'smtp' | 'submission' | 'imap' | 'imaps' | 'http';

export interface Gateway {
  config: Config;
  store: Store;
  log: Logger;
  metrics: Metrics;
  ports: Partial<Record<DoorName, number>>;
  stop(): Promise<void>;
}

interface Listener {
  name: DoorName;
  server: Server;
  /** ends the door's sessions cleanly; the server has stopped accepting when this is called */
  drain?: () => Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Seeds the domains named in the configuration; the CLI can add more at any time. */
async function seedDomains(store: Store, config: Config): Promise<void> {
  for (const domain of config.domains.local) await store.domains.addLocal(domain);
  if (config.domains.trusted.length > 0) await store.trust.addMany(config.domains.trusted, 'config');
}

export async function startGateway(config: Config, log: Logger = createLogger(config.log.level)): Promise<Gateway> {
  const certs = initCertificates(config.tls.certDir, config.hostname, config.host);
  if (certs.created) log.info({ certDir: config.tls.certDir }, 'development CA and server certificate created');
  const store = openStore(config.dataDir);
  await seedDomains(store, config);
  const metrics = createMetrics();

  const listeners: Listener[] = [{ name: 'http', server: createHttpServer({ metrics }) }];
  const ports: Gateway['ports'] = {};
  try {
    for (const listener of listeners) {
      ports[listener.name] = await listen(listener.server, config.ports[listener.name], config.host);
    }
  } catch (err) {
    await Promise.all(listeners.map((l) => (l.server.listening ? closeServer(l.server) : undefined)));
    await store.close();
    throw err;
  }
  log.info({ ports, dataDir: config.dataDir }, 'listening');

  let stopping: Promise<void> | undefined;
  return {
    config,
    store,
    log,
    metrics,
    ports,
    stop() {
      stopping ??= (async () => {
        const closed = listeners.map((l) => closeServer(l.server));
        await Promise.all(listeners.map((l) => l.drain?.()));
        for (const l of listeners) (l.server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
        await Promise.all(closed);
        await store.close();
        log.info('stopped');
      })();
      return stopping;
    },
  };
}
