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

/**
 * The commands that may create the data folder and its database: those that provision
 * something on a fresh install. Every other command needs an existing database, so a mistyped
 * --data fails (exit 2) instead of answering from a new, empty one. A new provisioning command
 * must be listed here.
 */
const PROVISIONING = new Set([
  'mailbox add-patient',
  'mailbox add-pro',
  'mailbox oppose',
  'domain add-local',
  'trust add',
  'trust import',
  'trust attach',
  'directory add',
]);

const COMMON: Options = {
  data: { type: 'string' },
  config: { type: 'string' },
  json: { type: 'boolean', default: false },
};

/**
 * Where a command writes and which environment it reads: the process's by default; a test
 * passes its own to run commands in-process, with their output captured.
 */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
}

/** Looked up at each write, so a spy on process.stdout.write still sees the output. */
export const processIo: CliIo = {
  stdout: { write: (text) => process.stdout.write(text) },
  stderr: { write: (text) => process.stderr.write(text) },
  env: process.env,
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

export function invoke(command: Command, argv: string[], io: CliIo = processIo): Invocation {
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
      config ??= loadConfig({ file: values.config as string | undefined, dataDir: values.data as string | undefined, env: io.env });
      return config;
    },
    store() {
      store ??= openStore(inv.config().dataDir, { create: PROVISIONING.has(command.name) });
      return store;
    },
    print: (text) => void io.stdout.write(`${text}\n`),
    printJson: (value) => void io.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
    note: (text) => void io.stderr.write(`${text}\n`),
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
