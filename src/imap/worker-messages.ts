/**
 * What the gateway (the cluster primary) and its IMAP worker processes say to each other over
 * the IPC channel node:cluster opens. Plain JSON objects, told apart by `t`.
 */
import type { Config } from '../config.js';
import type { CountMessage } from './worker-counts.js';

/** the environment variable that hands a worker its settings (and tells it it is one) */
export const WORKER_ENV = 'MSS_IMAP_WORKER';

export interface WorkerSpec {
  /** the gateway's configuration, as parsed and checked by the primary */
  config: Config;
  /** 1, 2… for the logs */
  index: number;
}

/** the counters of Metrics a worker moves; the primary moves its own the same way */
export type ForwardedMetric = 'connections' | 'refusals' | 'loginFailures' | 'loginBlocks';

export type ToPrimary =
  | CountMessage
  | { t: 'listening'; ports: { imap: number; imaps: number } }
  | { t: 'listen-failed'; door: 'imap' | 'imaps'; code?: string; message: string }
  | { t: 'metric'; name: ForwardedMetric; op: 'inc' | 'dec'; labels: Record<string, string>; value?: number };

export type ToWorker = CountMessage | { t: 'stop' };
