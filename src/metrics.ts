/** Prometheus metrics, one registry for the process. Labels never carry addresses or content. */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  connections: Gauge<'door'>;
  messages: Counter<'door' | 'outcome'>;
  refusals: Counter<'door' | 'code'>;
  /** plugs in what the relay queue gauges read at each scrape (relay/worker.ts: relayBacklog) */
  watchRelayQueue(read: () => Promise<RelayBacklog>): void;
  /** failed logins per door (smtp, imap, webmail) and reason (invalid, not-allowed, blocked) */
  loginFailures: Counter<'door' | 'reason'>;
  /** login blocks set, per scope: pair (one name from one client) or client */
  loginBlocks: Counter<'scope'>;
  /** plugs in what the IMAP buffer gauge reads at each scrape (imap/server.ts: this process's connections) */
  watchImapBuffers(read: () => { input: number; output: number }): void;
}

/** The relay queue as the gauges show it: messages waiting for another operator. */
export interface RelayBacklog {
  messages: number;
  /** when the longest-waiting of them was accepted; undefined when nothing waits */
  oldestQueuedAt: Date | undefined;
}

/**
 * Gauges read from the store when scraped, so they count what any process queued and cost
 * nothing between scrapes. One read serves both gauges of a scrape.
 */
function relayQueueGauges(registry: Registry): Metrics['watchRelayQueue'] {
  let read: (() => Promise<RelayBacklog>) | undefined;
  let last: { at: number; backlog: Promise<RelayBacklog | undefined> } | undefined;
  const snapshot = (): Promise<RelayBacklog | undefined> => {
    if (!read) return Promise.resolve(undefined);
    if (!last || Date.now() - last.at > 1000) {
      // A failed read (the store closing at shutdown) keeps the gauges' last values.
      last = { at: Date.now(), backlog: read().catch(() => undefined) };
    }
    return last.backlog;
  };
  new Gauge({
    name: 'mssgw_relay_queue_messages',
    help: 'Messages waiting in the relay queue for another operator (accepted, not yet delivered or bounced)',
    registers: [registry],
    async collect() {
      const backlog = await snapshot();
      if (backlog) this.set(backlog.messages);
    },
  });
  new Gauge({
    name: 'mssgw_relay_queue_oldest_age_seconds',
    help: 'How long the longest-waiting message of the relay queue has waited, in seconds (0 when empty)',
    registers: [registry],
    async collect() {
      const backlog = await snapshot();
      if (backlog) this.set(backlog.oldestQueuedAt ? Math.max(0, (Date.now() - backlog.oldestQueuedAt.getTime()) / 1000) : 0);
    },
  });
  return (source) => {
    read = source;
    last = undefined;
  };
}

/**
 * Memory the IMAP connections hold for their clients, read when scraped: commands received and
 * not yet run, responses queued and not yet handed to the socket. Slow or hostile clients show
 * here; each connection bounds both (imap/connection.ts).
 */
function imapBufferGauge(registry: Registry): Metrics['watchImapBuffers'] {
  let read: (() => { input: number; output: number }) | undefined;
  new Gauge({
    name: 'mssgw_imap_buffered_bytes',
    help: 'Bytes IMAP connections of this process hold: client commands waiting to run (direction=in), responses waiting for the socket (direction=out)',
    labelNames: ['direction'],
    registers: [registry],
    collect() {
      if (!read) return;
      const { input, output } = read();
      this.set({ direction: 'in' }, input);
      this.set({ direction: 'out' }, output);
    },
  });
  return (source) => {
    read = source;
  };
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'mssgw_' });
  return {
    registry,
    watchRelayQueue: relayQueueGauges(registry),
    watchImapBuffers: imapBufferGauge(registry),
    connections: new Gauge({
      name: 'mssgw_open_connections',
      help: 'Open client connections per door',
      labelNames: ['door'],
      registers: [registry],
    }),
    messages: new Counter({
      name: 'mssgw_messages_total',
      help: 'Messages handled per door and outcome (delivered, refused, relayed)',
      labelNames: ['door', 'outcome'],
      registers: [registry],
    }),
    refusals: new Counter({
      name: 'mssgw_refusals_total',
      help: 'Refusals per door and rule (the refusal code: NO_PRIOR_CONTACT, INVALID_DOCUMENT…)',
      labelNames: ['door', 'code'],
      registers: [registry],
    }),
    loginFailures: new Counter({
      name: 'mssgw_login_failures_total',
      help: 'Failed logins per door and reason (invalid credentials, not allowed on this door, refused while blocked)',
      labelNames: ['door', 'reason'],
      registers: [registry],
    }),
    loginBlocks: new Counter({
      name: 'mssgw_login_blocks_total',
      help: 'Login blocks set, per scope (pair: one user name from one client; client: one client, any name)',
      labelNames: ['scope'],
      registers: [registry],
    }),
  };
}
