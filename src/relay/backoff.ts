/**
 * Retry schedule of the outbound queues: the first retry after `first` seconds, each next one
 * twice as late, never more than `max` apart. Growing delays spare a peer that is struggling;
 * the cap keeps a peer back after an outage from waiting hours for our next try.
 */
export interface Backoff {
  firstSeconds: number;
  maxSeconds: number;
}

/** Seconds to wait after the failure of attempt number `attempt` (1 for the first attempt). */
export function retryDelaySeconds(attempt: number, backoff: Backoff): number {
  const doublings = Math.max(0, Math.floor(attempt) - 1);
  // 2^31 overflows nothing in a double, but stop doubling once past the cap anyway.
  const delay = backoff.firstSeconds * 2 ** Math.min(doublings, 31);
  return Math.min(delay, backoff.maxSeconds);
}

/** When to try again after `attemptsSoFar` earlier attempts and the one that just failed. */
export function nextAttemptAt(now: Date, attemptsSoFar: number, backoff: Backoff): Date {
  return new Date(now.getTime() + retryDelaySeconds(attemptsSoFar + 1, backoff) * 1000);
}
