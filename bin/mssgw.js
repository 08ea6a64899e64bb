#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx), so `npx mssgw` works right after `npm install`.
// A production image runs the compiled `dist/main.js` instead (see the Dockerfile).

// More threads for file I/O: every accepted message waits for fsyncs, which run on libuv's
// pool (4 threads by default). Set before anything touches the pool, hence the dynamic imports.
process.env.UV_THREADPOOL_SIZE ??= '16';
const { register } = await import('tsx/esm/api');
register();
await import('../src/main.ts');
