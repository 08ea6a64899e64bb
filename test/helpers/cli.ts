/**
 * Runs `mssgw` commands against a temporary data folder: in-process through the CLI's `main`
 * (mssgw), or as the real executable (mssgwProcess) where the process itself is under test.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MSSGW = path.join(ROOT, 'bin/mssgw.js');

export interface Sandbox {
  dir: string;
  dataDir: string;
  certDir: string;
  env: NodeJS.ProcessEnv;
}

/** A fresh folder with its own data and certificates; nothing touches the repository's. */
export function sandbox(): Sandbox {
  const dir = mkdtempSync(path.join(tmpdir(), 'mssgw-test-'));
  const dataDir = path.join(dir, 'data');
  const certDir = path.join(dir, 'certs');
  const env: NodeJS.ProcessEnv = { ...process.env, MSS_DATA_DIR: dataDir, MSS_CERT_DIR: certDir, MSS_LOG_LEVEL: 'warn' };
  delete env.MSS_CONFIG;
  return { dir, dataDir, certDir, env };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command in this process, as the executable would (same `main`, the sandbox's
 * environment, output captured): no Node start-up per command. `serve` has no place here, it
 * runs as its own process (startServer, mssgwProcess).
 */
export async function mssgw(box: Sandbox, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  if (args[0] === 'serve') throw new Error('mssgw serve runs in its own process: use startServer or mssgwProcess');
  // Paths are resolved against this process's folder, not the sandbox's as a child's would be.
  const relative = args.find((a, i) => ['--data', '--config', '--out'].includes(args[i - 1] ?? '') && !path.isAbsolute(a));
  if (relative) throw new Error(`in-process mssgw needs absolute paths, got "${relative}"`);
  // Loaded on first use: files that only need a sandbox do not pay for every command's modules.
  const { main } = await import('../../src/cli.js');
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: { ...box.env, ...extraEnv },
  });
  return { code, stdout, stderr };
}

/** Runs the real executable (bin/mssgw.js) in its own process: for what only a process shows. */
export function mssgwProcess(box: Sandbox, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MSSGW, ...args], { cwd: box.dir, env: { ...box.env, ...extraEnv } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
