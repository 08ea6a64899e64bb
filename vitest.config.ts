import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Run once for the whole run, before any worker: certificates (and other shared set-up).
    globalSetup: ['test/setup/certificates.ts', 'test/setup/leftover-processes.ts'],
    // End-to-end tests spawn the real server and CLI: give them room, and keep the two cores
    // for the servers rather than for many test workers.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
