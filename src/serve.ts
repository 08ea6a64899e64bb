/**
 * `mssgw serve`: runs the gateway until SIGTERM or SIGINT, printing the contract's ready line
 * on stdout once every listener is up.
 */
import type { Config } from './config.js';
import { ListenError, startGateway, type Gateway } from './gateway.js';
import { createLogger } from './log.js';

const STOP_DEADLINE_MS = 9_000;
const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

export async function serve(config: Config): Promise<number> {
  const log = createLogger(config.log.level);

  // Handlers go in before start-up: a signal during start must still end in a clean stop, not
  // in the default action (killed, exit by signal). They stay installed while stopping, since
  // Ctrl-C under `npm start` delivers SIGINT twice (the terminal to the whole group, then npm
  // forwarding it): a second signal must not cut the clean stop short. They are never removed:
  // the process exits right after serve() returns, and a late signal must not change its code.
  let requested: string | undefined;
  let onSignal: (signal: string) => void = (signal) => (requested ??= signal);
  for (const signal of SIGNALS) process.on(signal, () => onSignal(signal));

  let gateway: Gateway;
  try {
    gateway = await startGateway(config, log);
  } catch (err) {
    // A port taken is the machine's state, not a wrong command line: one line, exit 1.
    if (err instanceof ListenError) {
      process.stderr.write(`mssgw serve: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  process.stdout.write(`${JSON.stringify({ event: 'ready', ports: gateway.ports })}\n`);

  return await new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return void log.info({ signal }, 'already stopping');
      stopping = true;
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
    onSignal = stop;
    if (requested) stop(requested);
  });
}
