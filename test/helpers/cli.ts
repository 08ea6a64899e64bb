/** Runs the real `mssgw` command the way an operator would, against a temporary data folder. */
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

export function mssgw(box: Sandbox, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CliResult> {
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
