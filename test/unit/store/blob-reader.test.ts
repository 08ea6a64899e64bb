/** BlobStore.open: positional reads of a stored body into the caller's buffer (IMAP FETCH). */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { fsBlobStore } from '../../../src/store/fs/blobs.js';

describe('an opened body', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'blob-reader-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // First of the file: nothing before it may have sent this module's reads to the pool.
  it('stops reading in place once a read has waited: the next ones no longer stall the process', async () => {
    const blobs = fsBlobStore(dir);
    // Two "bodies" that are pipes: opening one waits until a writer (another thread) opens it,
    // as a read from a slow disk waits for the disk.
    const pipe = (id: string, delayMs: number, text: string) => {
      const file = path.join(dir, 'blobs', id.slice(0, 6), id);
      mkdirSync(path.dirname(file), { recursive: true });
      execFileSync('mkfifo', [file]);
      const code = `setTimeout(() => { try { require('node:fs').writeFileSync(${JSON.stringify(file)}, ${JSON.stringify(text)}); } catch {} }, ${delayMs})`;
      const writer = new Worker(code, { eval: true });
      writer.on('error', () => undefined);
      return new Promise((resolve) => writer.once('exit', resolve));
    };
    // Pipes cannot be read at a position: opening is what waits, then the reader is closed.
    const openAndClose = async (id: string) => (await blobs.open(id)).close();

    const slow = 'a'.repeat(32);
    const first = pipe(slow, 60, 'le disque était lent');
    let early = false;
    setTimeout(() => (early = true), 10);
    const t0 = performance.now();
    const reader = await blobs.open(slow);
    // In place: this thread itself waited for the writer, and no timer could run meanwhile.
    expect(early).toBe(false);
    expect(performance.now() - t0).toBeGreaterThan(40);
    await reader.close();
    await first;

    const next = 'b'.repeat(32);
    const second = pipe(next, 150, 'par le pool');
    let ticked = false;
    setTimeout(() => (ticked = true), 10);
    const reading = openAndClose(next);
    // Through the pool: timers run while the open waits.
    await new Promise((r) => setTimeout(r, 60));
    expect(ticked).toBe(true);
    await reading;
    await second;
  });

  it('reads any range into a buffer the caller reuses, 0 at the end', async () => {
    const blobs = fsBlobStore(dir);
    const content = Buffer.from('Subject: lu\r\n\r\nLe compte rendu est joint.\r\n');
    const { id } = await blobs.put(content);
    const reader = await blobs.open(id);
    const into = Buffer.alloc(64, 0x2e);
    expect(await reader.read(into, 4, 2, 9)).toBe(2);
    expect(into.subarray(0, 8).toString()).toBe('....lu..');
    // The same buffer again, for the next range: what was there is overwritten in place.
    expect(await reader.read(into, 0, 64, 15)).toBe(content.length - 15);
    expect(into.subarray(0, content.length - 15).equals(content.subarray(15))).toBe(true);
    expect(await reader.read(into, 0, 10, content.length)).toBe(0);
    await reader.close();
    await expect(reader.read(into, 0, 1, 0)).rejects.toThrow(/closed/);
    await reader.close();
  });

  it('refuses ids that are not its own, and says when a body is gone', async () => {
    const blobs = fsBlobStore(dir);
    await expect(blobs.open('../../etc/passwd')).rejects.toThrow(/not a blob id/);
    await expect(blobs.open('0'.repeat(32))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
