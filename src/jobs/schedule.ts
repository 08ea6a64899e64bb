/** A task run once after a first delay, then at a fixed interval; never keeps the process alive. */
export function schedule(task: () => Promise<void>, firstMs: number, everyMs: number): { stop(): void } {
  const first = setTimeout(task, firstMs);
  const every = setInterval(task, everyMs);
  first.unref();
  every.unref();
  return {
    stop() {
      clearTimeout(first);
      clearInterval(every);
    },
  };
}
