import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CENTRAL, zipRecords } from '../../../fixtures/builders.js';
import { FIXTURES, FIXTURES_DIR } from '../../../fixtures/generate.js';
import { REFUSED, VALID } from '../../helpers/document-fixtures.js';
import { TO_CITIZEN, checkOne, fixture } from './support.js';

/** What a zip holds, independent of how its entries were deflated. */
function zipSignature(zip: Buffer): string[] {
  return zipRecords(zip).map(({ name, central }) => {
    const flags = zip.readUInt16LE(central + CENTRAL.flags);
    const [crc, size, attributes] = (['crc', 'uncompressedSize', 'externalAttributes'] as const).map((field) => zip.readUInt32LE(central + CENTRAL[field]));
    return `${name} flags=${flags} crc=${crc} size=${size} attributes=${attributes}`;
  });
}


describe('fixtures through checkAttachments', () => {
  it.each(REFUSED)('$name → $code / $check', async ({ name, code, check, says, options }) => {
    const { refusal, documents } = await checkOne(fixture(name), name, options ?? TO_CITIZEN);
    expect(refusal).toMatchObject({ code, check, attachment: name });
    expect(refusal?.message.startsWith(`${name}: `)).toBe(true);
    expect(refusal?.message).toContain(says);
    expect(documents.length).toBeLessThanOrEqual(1);
  });

  it.each(VALID)('%s is accepted for the citizen it concerns', async (name) => {
    const { refusal } = await checkOne(fixture(name), name);
    expect(refusal).toBeUndefined();
  });

  it('every fixture of the generator is covered by these tests', () => {
    const covered = new Set([...REFUSED.map((r) => r.name), ...VALID, 'invisible-patient.zip']);
    expect(FIXTURES.map((f) => f.name).filter((name) => !covered.has(name))).toEqual([]);
  });

  it('the fixture files on disk are what the generator makes (up to date)', async () => {
    // The two bombs take seconds to deflate: they are left out. Zips are compared by their
    // central directory (names, CRCs, sizes, attributes, flags), not byte for byte: zlib builds
    // tuned for different CPUs may deflate the same content into different bytes.
    for (const { name, build } of FIXTURES.filter((f) => !f.name.startsWith('zip-bomb'))) {
      const onDisk = readFileSync(join(FIXTURES_DIR, name));
      const built = await build();
      if (name.endsWith('.zip')) expect(zipSignature(built), name).toEqual(zipSignature(onDisk));
      else expect(built.equals(onDisk), name).toBe(true);
    }
  });

  it('the zip bombs stay small on disk', () => {
    for (const name of ['zip-bomb.zip', 'zip-bomb-lying-size.zip']) expect(fixture(name).length).toBeLessThan(2 * 1024 * 1024);
  });
});
