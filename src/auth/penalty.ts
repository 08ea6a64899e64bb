/**
 * How long a failed login blocks, as a pure function: the first failures are free (a mistyped
 * password), then each further failure blocks for twice as long as the one before, up to a cap
 * (the exponential back-off of Dovecot's auth penalty, with blocks instead of slow replies).
 */
export interface Penalty {
  /** the failure that sets the first block */
  maxFailures: number;
  firstBlockMs: number;
  maxBlockMs: number;
}

/** how long the counter's `failures`-th failure blocks for; 0: not blocked */
export function blockMs(failures: number, penalty: Penalty): number {
  if (failures < penalty.maxFailures) return 0;
  const doublings = Math.min(failures - penalty.maxFailures, 40);
  return Math.min(penalty.maxBlockMs, penalty.firstBlockMs * 2 ** doublings);
}
