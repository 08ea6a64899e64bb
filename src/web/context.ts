/** What the HTTP door's parts are given: the gateway's services, and the webmail sessions. */
import type { createLogin } from '../auth/login.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { BlobStore, Store } from '../store/types.js';
import type { ClientSetupDeps } from './autoconfig.js';
import type { Sessions } from './sessions.js';

export interface WebDeps {
  config: Config;
  store: Store;
  blobs: BlobStore;
  pipeline: Pipeline;
  login: ReturnType<typeof createLogin>;
  log: Logger;
  metrics: Metrics;
  clientSetup?: ClientSetupDeps;
}

/** What every API route module gets. */
export interface ApiContext extends WebDeps {
  sessions: Sessions;
}
