import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Run once for the whole run, before any worker: one temporary folder for the run (removed at
    // the end), certificates, the guard against leftover processes.
    globalSetup: ['test/setup/temp-root.ts', 'test/setup/certificates.ts', 'test/setup/leftover-processes.ts'],
    // Run before each test file: the guard against a file leaving a server running.
    setupFiles: ['test/setup/server-guard.ts'],
    // End-to-end tests spawn the real server: give them room.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One worker more than the two cores: an end-to-end file spends much of its time waiting on
    // its server (fsyncs, timers, process start), and a third file fills those waits. Measured:
    // 2 workers 149 s, 3 workers 95 s, 4 workers 94 s with time-bounded tests failing.
    maxWorkers: 3,
    // A worker keeps its modules from one file to the next instead of loading them again for
    // each (a quarter of the run's time otherwise). The tests share no module state: no
    // vi.mock, no stubbed globals; spies are restored; per-file guards live in setup files.
    isolate: false,
    reporters: ['default'],
  },
});
