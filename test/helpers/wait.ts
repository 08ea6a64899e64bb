/** Waiting for a state in tests: poll it, bounded, never sleep for a guessed duration. */

/**
 * Polls `probe` every `intervalMs` until it returns something other than undefined/false/null,
 * and returns that; fails after `timeoutMs` saying what was awaited and what was last seen.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  options: { timeoutMs?: number; intervalMs?: number; lastSeen?: () => unknown } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() >= deadline) {
      const seen = options.lastSeen ? `; last seen: ${JSON.stringify(options.lastSeen())}` : '';
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${seen}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
