/**
 * The parser's branch of the body: a parser that fails and stops reading (as mailparser does)
 * must not hold back the copy going to disk.
 */
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { ParserBranch } from '../../../src/pipeline/parser-branch.js';

/** A parser that reads a little, then fails and never reads again. */
function failingParser(input: Readable): Promise<string> {
  return new Promise((_resolve, reject) => {
    input.once('data', () => {
      input.pause();
      reject(new Error('Max header size for a MIME node exceeded'));
    });
  });
}

function body(megabytes: number): Readable {
  return Readable.from(Array.from({ length: megabytes * 16 }, () => Buffer.alloc(64 * 1024, 0x61)));
}

describe('parser branch', () => {
  it('lets the body reach the disk when the parser fails, and reports the failure', async () => {
    const source = new PassThrough();
    const branch = new ParserBranch(source, failingParser);
    let stored = 0;
    const disk = new Writable({ write: (chunk: Buffer, _e, done) => ((stored += chunk.length), done()) });
    await pipeline(body(8), source, disk);
    expect(stored).toBe(8 * 1024 * 1024);
    expect(await branch.result).toEqual({ ok: false, error: expect.objectContaining({ message: 'Max header size for a MIME node exceeded' }) });
  });

  it('gives the parser the whole body when it works', async () => {
    const source = new PassThrough();
    const branch = new ParserBranch(source, async (input) => {
      let n = 0;
      for await (const chunk of input) n += (chunk as Buffer).length;
      return n;
    });
    await pipeline(body(2), source, new Writable({ write: (_c, _e, done) => done() }));
    expect(await branch.result).toEqual({ ok: true, value: 2 * 1024 * 1024 });
  });

  it('can be cut off when its answer is no longer needed, without holding the body', async () => {
    const source = new PassThrough();
    // A parser that never reads at all.
    const branch = new ParserBranch(source, () => new Promise<never>(() => undefined));
    const disk = new Writable({ write: (_c, _e, done) => done() });
    const flowing = pipeline(body(4), source, disk);
    setTimeout(() => branch.stop(), 20);
    await flowing;
  });
});
