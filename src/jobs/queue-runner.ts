/**
 * The loop shared by the outbound queues (relay, notifications): one pass over what is due,
 * then sleep until the next row falls due — never longer than `maxSleepMs`, so rows another
 * process queued (the CLI) or a clock jump are noticed — or until `kick()`. Passes never
 * overlap: a kick during a pass runs another pass right after it.
 */
import type { Logger } from '../log.js';

export interface Worker {
  /** something was queued: look now instead of at the next timer */
  kick(): void;
  /** no new pass; waits (bounded) for the one in progress, then clears the timers */
  stop(): Promise<void>;
}

export interface RunnerOptions {
  name: string;
  log: Logger;
  /** one pass; true when more rows may already be due (a full batch) */
  pass(stopping: AbortSignal): Promise<boolean>;
  nextDue(): Promise<Date | undefined>;
  maxSleepMs?: number;
  /** how long stop() lets a pass finish before calling `abort` */
  stopGraceMs?: number;
  /** cuts what the pass is waiting on (open connections) once the grace is over */
  abort?(): void;
}

/** Never sleep less than this between passes, so a row that cannot be updated is no busy loop. */
const MIN_SLEEP_MS = 250;
/** After a pass that failed as a whole (database unavailable): wait before the next. */
const ERROR_SLEEP_MS = 5_000;

const delay = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms).unref();
  });

export function startQueueRunner(options: RunnerOptions): Worker {
  const maxSleep = options.maxSleepMs ?? 30_000;
  const stopping = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let kicked = false;

  function schedule(ms: number): void {
    clearTimeout(timer);
    if (stopping.signal.aborted) return;
    // unref: a forgotten worker never keeps a process (a test, a CLI) alive on its own.
    timer = setTimeout(run, ms);
    timer.unref();
  }

  async function untilNextDue(): Promise<number> {
    const next = await options.nextDue();
    if (!next) return maxSleep;
    return Math.min(Math.max(next.getTime() - Date.now(), MIN_SLEEP_MS), maxSleep);
  }

  async function cycle(): Promise<void> {
    let sleep: number;
    try {
      kicked = false;
      const more = await options.pass(stopping.signal);
      sleep = more ? 0 : await untilNextDue();
    } catch (err) {
      options.log.error({ err, worker: options.name }, 'queue pass failed, will try again');
      sleep = ERROR_SLEEP_MS;
    }
    running = undefined;
    schedule(kicked ? 0 : sleep);
  }

  function run(): void {
    timer = undefined;
    if (stopping.signal.aborted) return;
    if (running) {
      kicked = true;
      return;
    }
    running = cycle();
  }

  schedule(0); // rows left from before a restart are due at once
  options.log.debug({ worker: options.name }, 'worker started');

  return {
    kick() {
      if (stopping.signal.aborted) return;
      if (running) kicked = true;
      else schedule(0);
    },
    async stop() {
      stopping.abort();
      clearTimeout(timer);
      const pass = running;
      if (pass) {
        const finished = await Promise.race([pass.then(() => true), delay(options.stopGraceMs ?? 5_000).then(() => false)]);
        if (!finished) {
          options.log.warn({ worker: options.name }, 'pass still running at stop: interrupting it');
          options.abort?.();
          await Promise.race([pass, delay(2_000)]);
        }
      }
      options.log.debug({ worker: options.name }, 'worker stopped');
    },
  };
}
