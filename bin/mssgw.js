#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx), so `npx mssgw` works right after `npm install`.
// A production image runs the compiled `dist/main.js` instead (see the Dockerfile).
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
