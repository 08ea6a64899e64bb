/**
 * Benchmarks, by name: `npm run bench` runs them all, `npm run bench -- smtp` one of them.
 * Figures are printed as a table and as one JSON line per benchmark, for the README.
 */
import { benchDocuments } from './documents.js';
import { benchSmtp } from './smtp.js';

const BENCHMARKS: Record<string, () => Promise<Record<string, number | string>>> = {
  smtp: benchSmtp,
  documents: benchDocuments,
};

export async function main(args: string[]): Promise<number> {
  const names = args.length ? args : Object.keys(BENCHMARKS);
  for (const name of names) {
    const run = BENCHMARKS[name];
    if (!run) {
      process.stderr.write(`unknown benchmark "${name}"; known: ${Object.keys(BENCHMARKS).join(', ')}\n`);
      return 2;
    }
    const figures = await run();
    process.stdout.write(`${JSON.stringify({ benchmark: name, ...figures })}\n`);
  }
  return 0;
}
