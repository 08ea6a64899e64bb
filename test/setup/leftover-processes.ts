/**
 * The last fence against a test run leaving processes behind. Every process the run starts
 * inherits a marker in its environment; at the end of the run, any `mssgw` process still
 * carrying it (a server a test forgot, or one orphaned by a worker that crashed) is killed and
 * the run fails, naming it. The marker is this run's own, so parallel runs never touch each
 * other's servers. Linux only (/proc); elsewhere the per-file guard of helpers/server.ts stays.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const MARKER = 'MSSGW_TEST_RUN';

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'latin1');
  } catch {
    return undefined; // gone meanwhile, or not ours to read
  }
}

/** The `bin/mssgw.js` processes started by this run and still alive, with their command lines. */
function leftovers(tag: string): Array<{ pid: number; command: string }> {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  const found: Array<{ pid: number; command: string }> = [];
  for (const entry of entries) {
    const pid = Number(entry);
    if (pid === process.pid) continue;
    const environ = read(`/proc/${pid}/environ`);
    if (!environ?.split('\0').includes(`${MARKER}=${tag}`)) continue;
    const command = (read(`/proc/${pid}/cmdline`) ?? '').split('\0').join(' ').trim();
    // Servers and CLI runs only (helpers, npm start): never a vitest worker of this run.
    if (command.includes('bin/mssgw.js')) found.push({ pid, command });
  }
  return found;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

let tag: string | undefined;

export function setup(): void {
  tag = `${process.pid}-${Date.now()}`;
  // Set before any worker starts: workers, servers and CLI runs all inherit it.
  process.env[MARKER] = tag;
}

export async function teardown(): Promise<void> {
  if (!tag) return;
  const left = leftovers(tag);
  if (left.length === 0) return;
  for (const { pid } of left) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (let i = 0; i < 50 && left.some(({ pid }) => alive(pid)); i++) await sleep(100);
  // vitest reports an error thrown here but keeps its exit code: fail the run explicitly.
  process.exitCode = 1;
  throw new Error(
    `the test run left ${left.length} mssgw process(es) running, now killed:\n${left.map((p) => `  ${p.pid} ${p.command}`).join('\n')}`,
  );
}
