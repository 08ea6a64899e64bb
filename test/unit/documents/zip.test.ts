import { describe, expect, it } from 'vitest';
import { buildXdm, buildZip, pseudoRandomBytes } from '../../../fixtures/builders.js';
import { DEFAULT_DOCUMENT_LIMITS } from '../../../src/documents/check.js';
import { CheckBudget } from '../../../src/documents/budget.js';
import { DocumentProblem } from '../../../src/documents/problem.js';
import { readZip } from '../../../src/documents/zip.js';
import { TO_CITIZEN, checkOne, fixture } from './support.js';

const MB = 1024 * 1024;

async function zipProblem(zip: Buffer, limits = DEFAULT_DOCUMENT_LIMITS): Promise<DocumentProblem> {
  try {
    await readZip(zip, limits);
  } catch (error) {
    if (error instanceof DocumentProblem) return error;
    throw error;
  }
  throw new Error('the zip was accepted');
}

describe('safe zip reading', () => {
  it('returns the files of a clean archive, folders left out, in order', async () => {
    const files = await readZip(fixture('presc-n1.zip'), DEFAULT_DOCUMENT_LIMITS);
    expect(files.map((f) => f.name)).toEqual(['README.TXT', 'INDEX.HTM', 'IHE_XDM/SUBSET01/METADATA.XML', 'IHE_XDM/SUBSET01/DOC0001.XML']);
  });

  it('refuses what is not a zip, or a truncated one', async () => {
    expect((await zipProblem(Buffer.from('PK\x03\x04 not really a zip'))).check).toBe('ZIP_FORMAT');
    const zip = await buildXdm();
    expect((await zipProblem(zip.subarray(0, zip.length - 30))).check).toBe('ZIP_FORMAT');
  });

  it('refuses names that differ only by case', async () => {
    const zip = await buildZip([{ name: 'doc.xml', content: Buffer.from('a') }, { name: 'DOC.XML', content: Buffer.from('b') }]);
    const problem = await zipProblem(zip);
    expect(problem).toMatchObject({ check: 'ZIP_DUPLICATE_NAME', entry: 'DOC.XML' });
  });

  it('refuses "." and empty path segments', async () => {
    expect((await zipProblem(await buildZip([{ name: 'a/./b.xml', content: Buffer.from('x') }]))).check).toBe('ZIP_PATH');
  });

  it('applies the configured entry count, entry size and total size', async () => {
    const three = await buildZip([0, 1, 2].map((i) => ({ name: `f${i}.bin`, content: pseudoRandomBytes(MB, i + 1) })));
    expect((await zipProblem(three, { ...DEFAULT_DOCUMENT_LIMITS, maxZipEntries: 2 })).check).toBe('ZIP_ENTRY_COUNT');
    expect((await zipProblem(three, { ...DEFAULT_DOCUMENT_LIMITS, maxEntryBytes: MB - 1 })).check).toBe('ZIP_ENTRY_SIZE');
    const total = await zipProblem(three, { ...DEFAULT_DOCUMENT_LIMITS, maxTotalUncompressedBytes: 2.5 * MB });
    expect(total).toMatchObject({ check: 'ZIP_TOTAL_SIZE' });
    expect(await readZip(three, DEFAULT_DOCUMENT_LIMITS)).toHaveLength(3);
  });

  it('refuses a compression ratio over the bound past the first megabyte, not before', async () => {
    const big = await buildZip([{ name: 'zeros.bin', content: Buffer.alloc(2 * MB) }]);
    expect((await zipProblem(big)).check).toBe('ZIP_COMPRESSION_RATIO');
    const small = await buildZip([{ name: 'zeros.bin', content: Buffer.alloc(MB) }]);
    expect(await readZip(small, DEFAULT_DOCUMENT_LIMITS)).toHaveLength(1);
  });

  it('takes limits from the check options', async () => {
    const { refusal } = await checkOne(fixture('presc-n1.zip'), 'IHE_XDM.ZIP', { ...TO_CITIZEN, limits: { maxZipEntries: 3 } });
    expect(refusal).toMatchObject({ code: 'INVALID_DOCUMENT', check: 'ZIP_ENTRY_COUNT' });
  });

  it('refuses the zip bombs within bounded memory (measured and reported, not timed)', async () => {
    const bombs = ['zip-bomb.zip', 'zip-bomb-lying-size.zip'].map((name) => ({ name, content: fixture(name) }));
    for (const { name, content } of bombs) {
      const before = process.memoryUsage();
      const peakBefore = process.resourceUsage().maxRSS * 1024;
      const start = performance.now();
      const { refusal } = await checkOne(content, name);
      const elapsed = performance.now() - start;
      const after = process.memoryUsage();
      const peakGrowth = process.resourceUsage().maxRSS * 1024 - peakBefore;
      const rssGrowth = after.rss - before.rss;
      const arrayBuffersGrowth = after.arrayBuffers - before.arrayBuffers;
      console.log(
        `${name} (${content.length} bytes): refused ${refusal?.check} in ${elapsed.toFixed(1)} ms; ` +
          `RSS growth ${(rssGrowth / MB).toFixed(1)} MB, peak RSS growth ${(peakGrowth / MB).toFixed(1)} MB, array buffers ${(arrayBuffersGrowth / MB).toFixed(1)} MB`,
      );
      expect(refusal?.code).toBe('INVALID_DOCUMENT');
      expect(['ZIP_ENTRY_SIZE', 'ZIP_DECLARED_SIZE', 'ZIP_COMPRESSION_RATIO']).toContain(refusal?.check);
      expect(rssGrowth).toBeLessThan(200 * MB);
      expect(peakGrowth).toBeLessThan(200 * MB);
      expect(arrayBuffersGrowth).toBeLessThan(200 * MB);
    }
  });
});

describe('the message budget, charged by every zip read', () => {
  const budget = (limits: Partial<ConstructorParameters<typeof CheckBudget>[0]> = {}, now?: () => number) =>
    new CheckBudget({ maxMessageEntries: 1000, maxMessageInflatedBytes: 100 * MB, maxMessageCheckMs: 60_000, ...limits }, now);

  it('adds up the entries and the declared sizes of successive zips, and refuses before inflating', async () => {
    const two = await buildZip([0, 1].map((i) => ({ name: `f${i}.bin`, content: pseudoRandomBytes(MB, i + 1) })));
    const shared = budget({ maxMessageEntries: 5, maxMessageInflatedBytes: 3 * MB });
    expect(await readZip(two, DEFAULT_DOCUMENT_LIMITS, shared)).toHaveLength(2);
    // The second zip crosses 3 MB at its second entry's declaration: named, and nothing inflated.
    let problem: unknown;
    await readZip(two, DEFAULT_DOCUMENT_LIMITS, shared).catch((error: unknown) => (problem = error));
    expect(problem).toMatchObject({ code: 'TOO_LARGE', check: 'MESSAGE_INFLATED_BYTES', entry: 'f1.bin' });
    await expect(readZip(two, DEFAULT_DOCUMENT_LIMITS, budget({ maxMessageEntries: 3 }))).resolves.toHaveLength(2);
    const entries = budget({ maxMessageEntries: 3 });
    await readZip(two, DEFAULT_DOCUMENT_LIMITS, entries);
    await expect(readZip(two, DEFAULT_DOCUMENT_LIMITS, entries)).rejects.toMatchObject({ check: 'MESSAGE_ENTRIES' });
  });

  it('stops inflating when the time is up', async () => {
    let clock = 0;
    const late = budget({ maxMessageCheckMs: 10 }, () => (clock += 5));
    const big = await buildZip([{ name: 'big.bin', content: pseudoRandomBytes(4 * MB, 7) }]);
    await expect(readZip(big, DEFAULT_DOCUMENT_LIMITS, late)).rejects.toMatchObject({ code: 'TOO_LARGE', check: 'MESSAGE_CHECK_TIME', entry: 'big.bin' });
  });
});
