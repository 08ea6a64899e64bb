/**
 * Every temporary folder of a test run goes under one folder of its own, removed when the run
 * ends: tests (and the servers and CLI processes they start) make their sandboxes with
 * `mkdtemp(tmpdir())`, and many files do not remove theirs. Setting TMPDIR here, before any
 * worker starts, reaches every worker and child process, so nothing of a run is left in /tmp.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

let root: string | undefined;
let before: string | undefined;

export function setup(): void {
  before = process.env.TMPDIR;
  root = mkdtempSync(path.join(tmpdir(), 'mssgw-run-'));
  process.env.TMPDIR = root;
}

export function teardown(): void {
  if (before === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = before;
  if (root) rmSync(root, { recursive: true, force: true });
}
