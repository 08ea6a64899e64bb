import { describe, expect, it } from 'vitest';
import { nextAttemptAt, retryDelaySeconds } from '../../../src/relay/backoff.js';

describe('retry backoff', () => {
  const backoff = { firstSeconds: 60, maxSeconds: 3600 };

  it('starts at the first delay and doubles up to the cap', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8, 20].map((attempt) => retryDelaySeconds(attempt, backoff));
    expect(delays).toEqual([60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
  });

  it('never overflows on absurd attempt counts', () => {
    expect(retryDelaySeconds(10_000, backoff)).toBe(3600);
    expect(retryDelaySeconds(0, backoff)).toBe(60);
  });

  it('dates the next attempt from the attempts already made', () => {
    const now = new Date('2025-01-01T00:00:00Z');
    expect(nextAttemptAt(now, 0, backoff).toISOString()).toBe('2025-01-01T00:01:00.000Z');
    expect(nextAttemptAt(now, 2, backoff).toISOString()).toBe('2025-01-01T00:04:00.000Z');
  });
});
