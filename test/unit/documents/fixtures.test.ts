import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CENTRAL, zipRecords } from '../../../fixtures/builders.js';
import { FIXTURES, FIXTURES_DIR } from '../../../fixtures/generate.js';
import type { CheckOptions, DocumentCheck, DocumentRefusalCode } from '../../../src/documents/check.js';
import { TO_CITIZEN, TO_PROFESSIONAL, checkOne, fixture } from './support.js';

interface Expected {
  name: string;
  code: DocumentRefusalCode;
  check: DocumentCheck;
  /** a piece of the message: it names the attachment, and the entry when there is one */
  says: string;
  options?: CheckOptions;
}

const DOC = 'entry "IHE_XDM/SUBSET01/DOC0001.XML"';

/** What a zip holds, independent of how its entries were deflated. */
function zipSignature(zip: Buffer): string[] {
  return zipRecords(zip).map(({ name, central }) => {
    const flags = zip.readUInt16LE(central + CENTRAL.flags);
    const [crc, size, attributes] = (['crc', 'uncompressedSize', 'externalAttributes'] as const).map((field) => zip.readUInt32LE(central + CENTRAL[field]));
    return `${name} flags=${flags} crc=${crc} size=${size} attributes=${attributes}`;
  });
}

const REFUSED: Expected[] = [
  { name: 'zip-bomb.zip', code: 'INVALID_DOCUMENT', check: 'ZIP_ENTRY_SIZE', says: `${DOC}: the entry declares 1073741824 bytes` },
  { name: 'zip-bomb-lying-size.zip', code: 'INVALID_DOCUMENT', check: 'ZIP_DECLARED_SIZE', says: `${DOC}: the entry inflates to more than the 4096 bytes it declares` },
  { name: 'zip-slip.zip', code: 'INVALID_DOCUMENT', check: 'ZIP_SLIP', says: 'entry "../../evil.xml": the path leads outside the archive (zip-slip)' },
  { name: 'absolute-path.zip', code: 'INVALID_DOCUMENT', check: 'ZIP_ABSOLUTE_PATH', says: 'entry "/etc/evil.xml": the path is absolute' },
  { name: 'backslash-path.zip', code: 'INVALID_DOCUMENT', check: 'ZIP_PATH', says: 'backslash' },
  { name: 'duplicate-names.zip', code: 'INVALID_DOCUMENT', check: 'ZIP_DUPLICATE_NAME', says: `${DOC}: the name appears more than once` },
  { name: 'symlink.zip', code: 'INVALID_DOCUMENT', check: 'ZIP_SYMLINK', says: 'entry "IHE_XDM/SUBSET01/LINK.XML": the entry is a symbolic link' },
  { name: 'too-many-entries.zip', code: 'INVALID_DOCUMENT', check: 'ZIP_ENTRY_COUNT', says: 'the archive has 101 entries, more than the 100 allowed' },
  { name: 'bad-crc.zip', code: 'INVALID_DOCUMENT', check: 'ZIP_CRC', says: `${DOC}: the entry fails its CRC-32 check` },
  { name: 'encrypted.zip', code: 'INVALID_DOCUMENT', check: 'ZIP_ENCRYPTED', says: `${DOC}: the entry is encrypted` },
  { name: 'overlapping-entries.zip', code: 'INVALID_DOCUMENT', check: 'ZIP_OVERLAP', says: 'overlapping entries' },
  { name: 'xdm-missing-readme.zip', code: 'INVALID_DOCUMENT', check: 'XDM_README', says: 'no README.TXT' },
  { name: 'xdm-missing-index.zip', code: 'INVALID_DOCUMENT', check: 'XDM_INDEX', says: 'no INDEX.HTM' },
  { name: 'xdm-missing-metadata.zip', code: 'INVALID_DOCUMENT', check: 'XDM_METADATA', says: 'no IHE_XDM/SUBSETnn/METADATA.XML' },
  { name: 'xdm-hash-mismatch.zip', code: 'INVALID_DOCUMENT', check: 'XDM_HASH', says: `${DOC}: the SHA-1 hash of the file does not match` },
  { name: 'xdm-size-mismatch.zip', code: 'INVALID_DOCUMENT', check: 'XDM_SIZE', says: `${DOC}: METADATA.XML gives a size of` },
  { name: 'xdm-missing-document.zip', code: 'INVALID_DOCUMENT', check: 'XDM_DOCUMENT_MISSING', says: 'points to "IHE_XDM/SUBSET01/DOC0001.XML", which is not in the archive' },
  { name: 'xdm-patient-mismatch.zip', code: 'INVALID_DOCUMENT', check: 'XDM_PATIENT', says: 'the patientId in METADATA.XML is not the INS' },
  { name: 'xdm-type-code-mismatch.zip', code: 'INVALID_DOCUMENT', check: 'XDM_TYPE_CODE', says: 'METADATA.XML gives the type code "11502-2" but the CDA says "57833-6"' },
  { name: 'xxe.zip', code: 'INVALID_DOCUMENT', check: 'XML_DOCTYPE', says: `${DOC}: the XML has a DOCTYPE declaration` },
  { name: 'billion-laughs.zip', code: 'INVALID_DOCUMENT', check: 'XML_DOCTYPE', says: `${DOC}: the XML has a DOCTYPE declaration` },
  { name: 'cda-no-typeid.zip', code: 'INVALID_DOCUMENT', check: 'CDA_TYPE_ID', says: 'the CDA has no typeId' },
  { name: 'cda-bad-loinc-system.zip', code: 'INVALID_DOCUMENT', check: 'CDA_CODE_SYSTEM', says: 'must use the LOINC code system 2.16.840.1.113883.6.1' },
  { name: 'cda-title-too-long.zip', code: 'INVALID_DOCUMENT', check: 'CDA_TITLE', says: 'the CDA title has 129 characters, more than the 128 allowed' },
  { name: 'cda-bad-version.zip', code: 'INVALID_DOCUMENT', check: 'CDA_VERSION', says: 'versionNumber "0" is not a positive integer' },
  { name: 'cda-invalid-ins.zip', code: 'INVALID_DOCUMENT', check: 'CDA_INS', says: 'the control key does not match' },
  { name: 'cda-bad-ins-oid.zip', code: 'INVALID_DOCUMENT', check: 'CDA_INS_OID', says: 'no identifier with an INS OID' },
  { name: 'cda-no-author.zip', code: 'INVALID_DOCUMENT', check: 'CDA_AUTHOR', says: 'no author/assignedAuthor' },
  { name: 'cda-no-custodian.zip', code: 'INVALID_DOCUMENT', check: 'CDA_CUSTODIAN', says: 'no custodian' },
  { name: 'fake-pdf.zip', code: 'INVALID_DOCUMENT', check: 'CDA_PDF', says: 'does not contain a PDF' },
  { name: 'wrong-patient.zip', code: 'WRONG_PATIENT', check: 'RECIPIENT_PATIENT', says: 'the document concerns another patient' },
  { name: 'two-patients.zip', code: 'WRONG_PATIENT', check: 'SINGLE_PATIENT', says: 'documents of several patients in one message', options: TO_PROFESSIONAL },
  { name: 'invisible-patient.zip', code: 'INVALID_DOCUMENT', check: 'INVISIBLE_PATIENT', says: 'marked INVISIBLE_PATIENT (invisible to the patient)' },
  { name: 'not-a-pdf.pdf', code: 'FORBIDDEN_FORMAT', check: 'ATTACHMENT_FORMAT', says: 'the content is HTML' },
];

const VALID = ['presc-n1.zip', 'bio-n3.zip', 'cr-v1.zip', 'cr-v2.zip', 'bare-cda.xml', 'masque-ps.zip', 'image.png', 'scan.jpg', 'note.txt'];

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
