/**
 * What every CLI command shares: argument parsing (node:util parseArgs, strict), the
 * configuration and store it runs against, and output as text or --json.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadConfig, type Config } from '../config.js';
import { ValidationError } from '../errors.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/types.js';

/** A wrong command line: exit 2 with the usage. */
export class UsageError extends ValidationError {
  override name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

const COMMON: Options = {
  data: { type: 'string' },
  config: { type: 'string' },
  json: { type: 'boolean', default: false },
};

export interface Invocation {
  positionals: string[];
  values: Record<string, string | boolean | undefined>;
  json: boolean;
  config(): Config;
  /** opened on first use; closed by the dispatcher */
  store(): Store;
  print(text: string): void;
  printJson(value: unknown): void;
  /** a note for the operator that is not data (stderr) */
  note(text: string): void;
  close(): Promise<void>;
}

export interface Command {
  /** e.g. "mailbox add-patient" */
  name: string;
  usage: string;
  summary: string;
  options?: Options;
  /** how many positionals the command takes */
  args: [min: number, max: number];
  /** resolves to the exit code, 0 when nothing is returned */
  run(inv: Invocation): Promise<number | void>;
}

export function invoke(command: Command, argv: string[]): Invocation {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...COMMON, ...command.options }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\nusage: mssgw ${command.usage}`);
  }
  const [min, max] = command.args;
  if (parsed.positionals.length < min || parsed.positionals.length > max) {
    throw new UsageError(`usage: mssgw ${command.usage}`);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  let config: Config | undefined;
  let store: Store | undefined;
  const inv: Invocation = {
    positionals: parsed.positionals,
    values,
    json: values.json === true,
    config() {
      config ??= loadConfig({ file: values.config as string | undefined, dataDir: values.data as string | undefined });
      return config;
    },
    store() {
      store ??= openStore(inv.config().dataDir);
      return store;
    },
    print: (text) => void process.stdout.write(`${text}\n`),
    printJson: (value) => void process.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
    note: (text) => void process.stderr.write(`${text}\n`),
    async close() {
      await store?.close();
    },
  };
  return inv;
}

export function stringOption(inv: Invocation, name: string): string | undefined {
  const value = inv.values[name];
  return typeof value === 'string' ? value : undefined;
}

/** Lays out rows as aligned columns for a terminal. */
export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}
