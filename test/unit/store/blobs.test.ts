import { existsSync, mkdtempSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fsBlobStore } from '../../../src/store/fs/blobs.js';

describe('message files', () => {
  it('persists what was written, discards what was refused', async () => {
    const blobs = fsBlobStore(mkdtempSync(path.join(tmpdir(), 'blobs-')));
    const kept = await blobs.create();
    kept.stream.write('Subject: one\r\n\r\n');
    kept.stream.end('body');
    expect(await blobs.persist(kept)).toBe(20);
    expect((await blobs.read(kept.id)).toString()).toBe('Subject: one\r\n\r\nbody');
    // The file lives in the folder of the hour it was created in.
    expect(path.basename(path.dirname(kept.path))).toBe(kept.id.slice(0, 6));

    const refused = await blobs.create();
    refused.stream.write('partial');
    await blobs.discard(refused);
    expect(existsSync(refused.path)).toBe(false);
  });

  it('shares folder fsyncs between concurrent deliveries without losing any', async () => {
    const blobs = fsBlobStore(mkdtempSync(path.join(tmpdir(), 'blobs-')));
    const drafts = await Promise.all(Array.from({ length: 20 }, () => blobs.create()));
    drafts.forEach((d, i) => d.stream.end(`message ${i}`));
    const sizes = await Promise.all(drafts.map((d) => blobs.persist(d)));
    expect(sizes).toEqual(drafts.map((_, i) => `message ${i}`.length));
    for (const [i, d] of drafts.entries()) expect((await blobs.read(d.id)).toString()).toBe(`message ${i}`);
  });

  it('sweeps old files no row knows, and only those', async () => {
    const blobs = fsBlobStore(mkdtempSync(path.join(tmpdir(), 'blobs-')));
    const [known, orphan, young] = await Promise.all([blobs.create(), blobs.create(), blobs.create()]);
    for (const d of [known!, orphan!, young!]) {
      d.stream.end('x');
      await blobs.persist(d);
    }
    const old = new Date(Date.now() - 2 * 3600 * 1000);
    utimesSync(known!.path, old, old);
    utimesSync(orphan!.path, old, old);
    const removed = await blobs.sweepOrphans(async (id) => id === known!.id, new Date(Date.now() - 3600 * 1000));
    expect(removed).toBe(1);
    expect(existsSync(known!.path)).toBe(true);
    expect(existsSync(orphan!.path)).toBe(false);
    expect(existsSync(young!.path)).toBe(true);
  });

  it('refuses ids that are not its own (no path tricks)', () => {
    const blobs = fsBlobStore(mkdtempSync(path.join(tmpdir(), 'blobs-')));
    expect(() => blobs.stream('../../etc/passwd')).toThrow(/not a blob id/);
  });
});

describe('whole files', () => {
  it('are written durably in one call', async () => {
    const blobs = fsBlobStore(mkdtempSync(path.join(tmpdir(), 'blobs-')));
    const { id, size } = await blobs.put(Buffer.from('%PDF-1.4 tiny'));
    expect(size).toBe(13);
    expect((await blobs.read(id)).toString()).toBe('%PDF-1.4 tiny');
  });
});
