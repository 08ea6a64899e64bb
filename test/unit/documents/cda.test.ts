import { describe, expect, it } from 'vitest';
import { MAIN_INS, buildCda, buildPdf, type CdaPart, type CdaSpec } from '../../../fixtures/builders.js';
import { parseHl7Time } from '../../../src/documents/cda.js';
import type { DocumentCheck } from '../../../src/documents/check.js';
import { TO_CITIZEN, TO_PROFESSIONAL, checkOne } from './support.js';

async function checkOfCda(spec: CdaSpec, options = TO_PROFESSIONAL) {
  const { refusal, documents } = await checkOne(buildCda(spec), 'cda.xml', options, 'text/xml');
  return { refusal, document: documents[0] };
}

describe('CDA header checks', () => {
  const missing: [CdaPart, DocumentCheck][] = [
    ['typeId', 'CDA_TYPE_ID'],
    ['templateId', 'CDA_TEMPLATE_ID'],
    ['id', 'CDA_ID'],
    ['code', 'CDA_CODE'],
    ['title', 'CDA_TITLE'],
    ['effectiveTime', 'CDA_EFFECTIVE_TIME'],
    ['confidentialityCode', 'CDA_CONFIDENTIALITY'],
    ['languageCode', 'CDA_LANGUAGE'],
    ['setId', 'CDA_SET_ID'],
    ['versionNumber', 'CDA_VERSION'],
    ['recordTarget', 'CDA_RECORD_TARGET'],
    ['author', 'CDA_AUTHOR'],
    ['custodian', 'CDA_CUSTODIAN'],
    ['body', 'CDA_BODY'],
  ];
  it.each(missing)('without %s → %s', async (part, check) => {
    const { refusal } = await checkOfCda({ without: [part] });
    expect(refusal).toMatchObject({ code: 'INVALID_DOCUMENT', check, attachment: 'cda.xml' });
    expect(refusal?.message.startsWith('cda.xml: the CDA')).toBe(true);
  });

  it('refuses a ClinicalDocument outside the HL7 v3 namespace', async () => {
    const { refusal } = await checkOfCda({ namespace: 'urn:example' });
    expect(refusal?.check).toBe('CDA_ROOT');
  });

  it('refuses a wrong typeId and ids that are neither OIDs nor UUIDs', async () => {
    expect((await checkOfCda({ id: { root: 'not an oid' } })).refusal?.check).toBe('CDA_ID');
    expect((await checkOfCda({ setId: { root: '1.2..3' } })).refusal?.check).toBe('CDA_SET_ID');
    const uuid = await checkOfCda({ id: { root: '6f1c9e0a-2b7d-4c3e-9a51-0d8e7f6a5b4c' } });
    expect(uuid.document?.idKey).toBe('6f1c9e0a-2b7d-4c3e-9a51-0d8e7f6a5b4c');
  });

  // The type code and its code system against the CI-SIS value set: categories.test.ts.

  it('accepts a title of 128 characters, refuses 129 and whitespace only', async () => {
    expect((await checkOfCda({ title: 'é'.repeat(128) })).refusal).toBeUndefined();
    expect((await checkOfCda({ title: 'é'.repeat(129) })).refusal?.check).toBe('CDA_TITLE');
    expect((await checkOfCda({ title: '   ' })).refusal?.check).toBe('CDA_TITLE');
  });

  it('wants versionNumber a positive integer', async () => {
    for (const version of ['0', '-1', '1.5', 'deux', '']) {
      expect((await checkOfCda({ version })).refusal?.check, version).toBe('CDA_VERSION');
    }
    expect((await checkOfCda({ version: 12 })).document?.version).toBe(12);
  });

  it('checks the effectiveTime and reads it as a date', async () => {
    expect((await checkOfCda({ effectiveTime: '20240231' })).refusal?.check).toBe('CDA_EFFECTIVE_TIME');
    expect((await checkOfCda({ effectiveTime: 'hier' })).refusal?.check).toBe('CDA_EFFECTIVE_TIME');
    expect((await checkOfCda({ effectiveTime: '202401' })).document?.effectiveDate).toBeUndefined();
    expect(parseHl7Time('20240115103000-0500').date?.toISOString()).toBe('2024-01-15T15:30:00.000Z');
    expect(parseHl7Time('20240115').date?.toISOString()).toBe('2024-01-15T00:00:00.000Z');
    expect(parseHl7Time('2024011510').date?.toISOString()).toBe('2024-01-15T10:00:00.000Z');
    expect(parseHl7Time('20241315').valid).toBe(false);
  });

  it('accepts INS-NIA, and the test and demo INS OIDs only when configured', async () => {
    expect((await checkOfCda({ insOid: '1.2.250.1.213.1.4.9' })).document?.insOid).toBe('1.2.250.1.213.1.4.9');
    for (const insOid of ['1.2.250.1.213.1.4.10', '1.2.250.1.213.1.4.11']) {
      expect((await checkOfCda({ insOid })).refusal?.check).toBe('CDA_INS_OID');
      expect((await checkOfCda({ insOid }, { ...TO_PROFESSIONAL, acceptTestInsOids: true })).document?.insOid).toBe(insOid);
    }
  });

  it('refuses a matricule that fails the INS check, naming the problem', async () => {
    const { refusal } = await checkOfCda({ ins: '384127645108946' });
    expect(refusal?.check).toBe('CDA_INS');
    expect(refusal?.message).toContain('the first digit must be 1 or 2');
  });

  // Every level-1 media type is in nonxml-body.test.ts; the PDF is the one the record extracts.
  it('wants a PDF body to be base64 of a whole PDF', async () => {
    expect((await checkOfCda({ body: { xml: '<component><nonXMLBody><text mediaType="application/pdf" representation="TXT">x</text></nonXMLBody></component>' } })).refusal?.check).toBe('CDA_BODY');
    expect((await checkOfCda({ body: { base64: '%%% not base64 %%%' } })).refusal?.check).toBe('CDA_PDF');
    // A PDF header without the %%EOF trailer is a truncated file.
    const truncated = buildPdf().subarray(0, 200);
    expect((await checkOfCda({ body: { pdf: truncated } })).refusal?.check).toBe('CDA_PDF');
    const pdf = buildPdf({ lines: ['Résultat'] });
    expect((await checkOfCda({ body: { pdf } })).document?.pdf?.equals(pdf)).toBe(true);
  });

  it('refuses a bare CDA with a DOCTYPE (XXE) as it does inside an XDM', async () => {
    const { refusal } = await checkOfCda({ prolog: '<!DOCTYPE ClinicalDocument [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n', titleXml: '&x;' }, TO_CITIZEN);
    expect(refusal).toMatchObject({ code: 'INVALID_DOCUMENT', check: 'XML_DOCTYPE' });
  });

  it('reads a CDA in windows-1252, ISO-8859-1 or UTF-16 (either byte order) as it declares', async () => {
    const title = 'Compte rendu d’échographie – « Œdème »';
    const encodings: NonNullable<CdaSpec['encoding']>[] = [
      { bytes: 'windows-1252' },
      { bytes: 'UTF-16LE', bom: true },
      { bytes: 'UTF-16BE', bom: true },
      { bytes: 'UTF-8', bom: true },
    ];
    for (const encoding of encodings) {
      const { refusal, document } = await checkOfCda({ title, encoding, patient: { given: 'Hélène', family: 'MARTIN' } }, TO_CITIZEN);
      expect(refusal, encoding.bytes).toBeUndefined();
      expect(document).toMatchObject({ title, patientName: 'Hélène MARTIN' });
    }
    const latin1 = await checkOfCda({ title: 'Échographie', encoding: { bytes: 'ISO-8859-1' } }, TO_CITIZEN);
    expect(latin1.document?.title).toBe('Échographie');
  });

  it('refuses a CDA whose bytes are not what it declares, for a professional too, whatever its name or type', async () => {
    const mislabelled: [string, Buffer, string][] = [
      ['windows-1252 declared UTF-8', buildCda({ title: 'Échographie', encoding: { bytes: 'windows-1252', declared: 'UTF-8' } }), 'declares "UTF-8" but is not valid UTF-8: byte 0xC9'],
      ['UTF-16 declared windows-1252', buildCda({ encoding: { bytes: 'UTF-16LE', bom: true, declared: 'windows-1252' } }), 'UTF-16 little-endian byte order mark but declares "windows-1252"'],
      ['UTF-8 declared ISO-8859-1', buildCda({ title: 'Échographie', encoding: { bytes: 'UTF-8', declared: 'ISO-8859-1' } }), 'declares "ISO-8859-1" but its bytes are UTF-8'],
      ['an unsupported encoding', buildCda({ encoding: { bytes: 'UTF-8', declared: 'EUC-JP' } }), 'declares the encoding "EUC-JP", which is not accepted'],
    ];
    for (const [label, content, says] of mislabelled) {
      for (const [name, type] of [['cda.xml', 'text/xml'], ['note.txt', 'text/plain'], ['scan.pdf', 'application/pdf']]) {
        const { refusal } = await checkOne(content, name!, TO_PROFESSIONAL, type);
        expect(refusal, `${label} as ${name}`).toMatchObject({ code: 'INVALID_DOCUMENT', check: 'XML_ENCODING', attachment: name });
        expect(refusal?.message).toContain(says);
      }
    }
  });

  it('checks as a CDA any file whose root is ClinicalDocument, even one no sniffing calls XML', async () => {
    // A character XML forbids makes the file "binary" to sniffing; it is still a CDA attempt.
    const withControl = Buffer.from(buildCda().toString('utf8').replace('<realmCode', '<!-- \u0001 --><realmCode'));
    expect((await checkOne(withControl, 'x.bin', TO_PROFESSIONAL)).refusal).toMatchObject({ check: 'XML_SYNTAX' });
    // A stylesheet instruction before the root, and no XML declaration.
    const styled = Buffer.from(buildCda({ without: ['author'] }).toString('utf8').replace(/^<\?xml[^>]*>\n/, ''));
    expect((await checkOne(styled, 'cr.txt', TO_PROFESSIONAL, 'text/plain')).refusal).toMatchObject({ check: 'CDA_AUTHOR' });
  });

  it('reads the patient of the main fixture', async () => {
    expect((await checkOfCda({}, TO_CITIZEN)).document).toMatchObject({ ins: MAIN_INS, patientName: 'Jean MARTIN' });
  });
});
