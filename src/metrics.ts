/** Prometheus metrics, one registry for the process. Labels never carry addresses or content. */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  connections: Gauge<'door'>;
  messages: Counter<'door' | 'outcome'>;
  refusals: Counter<'door' | 'code'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'mssgw_' });
  return {
    registry,
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
  };
}
