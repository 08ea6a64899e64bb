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

  it('takes CI-SIS code systems for the table’s non-LOINC codes only', async () => {
    const bio = await checkOfCda({ typeCode: 'PRESC-BIO', typeCodeSystem: '1.2.250.1.213.1.1.4.12' });
    expect(bio.refusal).toBeUndefined();
    expect((await checkOfCda({ typeCode: 'PRESC-BIO' })).refusal?.check).toBe('CDA_CODE_SYSTEM');
    expect((await checkOfCda({ typeCode: 'NOT-IN-TABLE', typeCodeSystem: '1.2.250.1.213.1.1.4.12' })).refusal?.check).toBe('CDA_CODE_SYSTEM');
    // An unknown LOINC code is fine: it goes to "Autres documents".
    expect((await checkOfCda({ typeCode: '99999-9' })).refusal).toBeUndefined();
  });

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

  it('wants an N1 body to be base64 PDF', async () => {
    expect((await checkOfCda({ body: { xml: '<component><nonXMLBody><text mediaType="text/plain" representation="TXT">x</text></nonXMLBody></component>' } })).refusal?.check).toBe('CDA_BODY');
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

  it('reads the patient of the main fixture', async () => {
    expect((await checkOfCda({}, TO_CITIZEN)).document).toMatchObject({ ins: MAIN_INS, patientName: 'Jean MARTIN' });
  });
});
