#!/usr/bin/env node
// `npm run bench -- [smtp|documents ...]`: runs the benchmarks (TypeScript, through tsx).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../bench/index.ts');
process.exit(await main(process.argv.slice(2)));
