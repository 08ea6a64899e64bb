#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx), so `npx mssgw` works right after `npm install`.
// A production image runs the compiled `dist/cli.js` instead (see the Dockerfile).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
// Exit explicitly: a stopped server must not linger on a forgotten timer or socket.
process.exit(await main(process.argv.slice(2)));
