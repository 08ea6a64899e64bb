/**
 * What checking one message may cost, all its attachments together. The per-zip bounds keep one
 * zip cheap, but a message may carry many zips: 180 XDMs of 50 MB each, every one within its own
 * bounds, once made the server inflate 8 GB. The budget is charged as the work is done (entries
 * and uncompressed bytes when a zip's directory is read, time between steps and while inflating)
 * and refuses the message, permanently, as soon as one bound is crossed.
 *
 * Time is wall-clock time: checks of one message run one after the other on the event loop and
 * the inflater, so the time they take bounds the CPU they use (process CPU time would count every
 * other session too).
 */
import type { DocumentLimits } from './limits.js';
import { DocumentProblem } from './problem.js';

export type BudgetLimits = Pick<DocumentLimits, 'maxMessageEntries' | 'maxMessageInflatedBytes' | 'maxMessageCheckMs'>;

const MB = 1024 * 1024;

function megabytes(bytes: number): string {
  return bytes % MB === 0 ? `${bytes / MB} MB` : `${bytes} bytes`;
}

export class CheckBudget {
  private entries = 0;
  private inflated = 0;
  private readonly deadline: number;

  constructor(
    private readonly limits: BudgetLimits,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.deadline = now() + limits.maxMessageCheckMs;
  }

  /** A zip's directory was read: its entries count, whatever they hold. */
  chargeEntries(count: number): void {
    this.entries += count;
    if (this.entries > this.limits.maxMessageEntries) {
      throw new DocumentProblem(
        'TOO_LARGE',
        'MESSAGE_ENTRIES',
        `the zips of this message hold more than the ${this.limits.maxMessageEntries} entries allowed in one message`,
      );
    }
  }

  /**
   * Uncompressed bytes a zip entry declares. Inflation stops at the declared size (zip.ts), so
   * charging the declaration before inflating is exact and refuses before the work is done.
   */
  chargeInflated(bytes: number, entry?: string): void {
    this.inflated += bytes;
    if (this.inflated > this.limits.maxMessageInflatedBytes) {
      throw new DocumentProblem(
        'TOO_LARGE',
        'MESSAGE_INFLATED_BYTES',
        `the zips of this message inflate to more than the ${megabytes(this.limits.maxMessageInflatedBytes)} allowed in one message`,
        entry,
      );
    }
  }

  /** Called between steps and while inflating: past the deadline, the check stops. */
  checkTime(entry?: string): void {
    if (this.now() > this.deadline) {
      throw new DocumentProblem(
        'TOO_LARGE',
        'MESSAGE_CHECK_TIME',
        `checking the attachments of this message takes more than the ${this.limits.maxMessageCheckMs} ms allowed`,
        entry,
      );
    }
  }
}

/** No budget: the bounds of each zip alone (tests and single-file tools). */
export const UNBOUNDED: Pick<CheckBudget, 'chargeEntries' | 'chargeInflated' | 'checkTime'> = {
  chargeEntries: () => undefined,
  chargeInflated: () => undefined,
  checkTime: () => undefined,
};
