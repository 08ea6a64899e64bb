/**
 * `mssgw serve`: runs the gateway until SIGTERM or SIGINT, printing the contract's ready line
 * on stdout once every listener is up.
 */
import type { Config } from './config.js';
import { startGateway } from './gateway.js';
import { createLogger } from './log.js';

const STOP_DEADLINE_MS = 9_000;

export async function serve(config: Config): Promise<number> {
  const log = createLogger(config.log.level);
  const gateway = await startGateway(config, log);
  process.stdout.write(`${JSON.stringify({ event: 'ready', ports: gateway.ports })}\n`);

  return new Promise((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'stopping');
      const timer = setTimeout(() => {
        log.warn('sessions still open at the deadline: exiting anyway');
        resolve(0);
      }, STOP_DEADLINE_MS);
      timer.unref();
      gateway.stop().then(
        () => resolve(0),
        (err: unknown) => {
          log.error({ err }, 'error while stopping');
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
