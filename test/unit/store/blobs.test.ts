import { existsSync, mkdtempSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fsBlobStore } from '../../../src/store/fs/blobs.js';

/** Where the file engine keeps a body (its own business; the tests look at the files). */
const fileOf = (dir: string, id: string): string => path.join(dir, 'blobs', id.slice(0, 6), id);

describe('message files', () => {
  it('persists what was written, discards what was refused', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'blobs-'));
    const blobs = fsBlobStore(dir);
    const kept = await blobs.create();
    kept.stream.write('Subject: one\r\n\r\n');
    kept.stream.end('body');
    expect(await blobs.persist(kept)).toBe(20);
    expect((await blobs.read(kept.id)).toString()).toBe('Subject: one\r\n\r\nbody');
    // The file lives in the folder of the hour it was created in.
    expect(existsSync(fileOf(dir, kept.id))).toBe(true);
    // Ranges are [start, end), by read and by stream.
    expect((await blobs.read(kept.id, { start: 9, end: 12 })).toString()).toBe('one');
    const chunks: Buffer[] = [];
    for await (const c of blobs.stream(kept.id, { start: 16, end: 20 })) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('body');

    const refused = await blobs.create();
    await new Promise<void>((resolve) => refused.stream.write('partial', () => resolve()));
    // A draft reads back what was written so far, before anything is decided.
    expect((await refused.read(0, 4)).toString()).toBe('part');
    await blobs.discard(refused);
    expect(existsSync(fileOf(dir, refused.id))).toBe(false);
  });

  it('shares folder fsyncs between concurrent deliveries without losing any', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'blobs-'));
    const blobs = fsBlobStore(dir);
    const drafts = await Promise.all(Array.from({ length: 20 }, () => blobs.create()));
    drafts.forEach((d, i) => d.stream.end(`message ${i}`));
    const sizes = await Promise.all(drafts.map((d) => blobs.persist(d)));
    expect(sizes).toEqual(drafts.map((_, i) => `message ${i}`.length));
    for (const [i, d] of drafts.entries()) expect((await blobs.read(d.id)).toString()).toBe(`message ${i}`);
  });

  it('sweeps old files no row knows, and only those', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'blobs-'));
    const blobs = fsBlobStore(dir);
    const [known, orphan, young] = await Promise.all([blobs.create(), blobs.create(), blobs.create()]);
    for (const d of [known!, orphan!, young!]) {
      d.stream.end('x');
      await blobs.persist(d);
    }
    const old = new Date(Date.now() - 2 * 3600 * 1000);
    utimesSync(fileOf(dir, known!.id), old, old);
    utimesSync(fileOf(dir, orphan!.id), old, old);
    const removed = await blobs.sweepOrphans(async (id) => id === known!.id, new Date(Date.now() - 3600 * 1000));
    expect(removed).toBe(1);
    expect(existsSync(fileOf(dir, known!.id))).toBe(true);
    expect(existsSync(fileOf(dir, orphan!.id))).toBe(false);
    expect(existsSync(fileOf(dir, young!.id))).toBe(true);
  });

  it('refuses ids that are not its own (no path tricks)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'blobs-'));
    const blobs = fsBlobStore(dir);
    expect(() => blobs.stream('../../etc/passwd')).toThrow(/not a blob id/);
  });
});

describe('whole files', () => {
  it('are written durably in one call', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'blobs-'));
    const blobs = fsBlobStore(dir);
    const { id, size } = await blobs.put(Buffer.from('%PDF-1.4 tiny'));
    expect(size).toBe(13);
    expect((await blobs.read(id)).toString()).toBe('%PDF-1.4 tiny');
  });
});
