/**
 * Benchmarks, by name: `npm run bench` runs them all, `npm run bench -- smtp` one of them.
 * Arguments `--name=value` are options passed to each benchmark (`npm run bench -- imap --runs=3`).
 * Figures are printed as a table and as one JSON line per benchmark, for the README.
 */
import { benchDocuments } from './documents.js';
import { benchImap } from './imap.js';
import { benchSmtp } from './smtp.js';
import { benchWebmail } from './webmail.js';

const BENCHMARKS: Record<string, (flags: string[]) => Promise<Record<string, number | string>>> = {
  smtp: benchSmtp,
  documents: benchDocuments,
  imap: benchImap,
  webmail: benchWebmail,
};

export async function main(args: string[]): Promise<number> {
  const flags = args.filter((a) => a.startsWith('--'));
  const named = args.filter((a) => !a.startsWith('--'));
  const names = named.length ? named : Object.keys(BENCHMARKS);
  for (const name of names) {
    const run = BENCHMARKS[name];
    if (!run) {
      process.stderr.write(`unknown benchmark "${name}"; known: ${Object.keys(BENCHMARKS).join(', ')}\n`);
      return 2;
    }
    const figures = await run(flags);
    process.stdout.write(`${JSON.stringify({ benchmark: name, ...figures })}\n`);
  }
  return 0;
}
