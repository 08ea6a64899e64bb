import { describe, expect, it } from 'vitest';
import { DOC_ROOT, MAIN_INS, SET_ROOT, buildPdf } from '../../../fixtures/builders.js';
import { checkAttachments } from '../../../src/documents/check.js';
import { categoryOf } from '../../../src/domain/categories.js';
import { TO_CITIZEN, TO_PROFESSIONAL, checkOne, fixture } from './support.js';

async function onlyDocument(name: string, options = TO_CITIZEN) {
  const { documents, refusal } = await checkOne(fixture(name), name, options);
  expect(refusal).toBeUndefined();
  expect(documents).toHaveLength(1);
  return documents[0]!;
}

describe('valid documents', () => {
  it('reads an N1 prescription from its XDM: ids, version, patient, author, PDF', async () => {
    const doc = await onlyDocument('presc-n1.zip');
    expect(doc).toMatchObject({
      attachment: 'presc-n1.zip',
      entry: 'IHE_XDM/SUBSET01/DOC0001.XML',
      id: { root: DOC_ROOT, extension: 'PRESC-2024-0001' },
      idKey: `${DOC_ROOT}^PRESC-2024-0001`,
      setId: { root: SET_ROOT, extension: 'SET-PRESC-2024-0001' },
      setIdKey: `${SET_ROOT}^SET-PRESC-2024-0001`,
      version: 1,
      typeCode: '57833-6',
      typeCodeSystem: '2.16.840.1.113883.6.1',
      title: 'Ordonnance',
      effectiveTime: '20240115100000+0100',
      ins: MAIN_INS,
      insOid: '1.2.250.1.213.1.4.8',
      patientName: 'Jean MARTIN',
      author: { name: 'Paul DURAND', id: '810002345678' },
      // the custodian is its identifier (FINESS under its OID), not its name
      custodian: '1.2.250.1.71.4.2.2^1750000001',
      confidentialityCode: 'N',
      languageCode: 'fr-FR',
      body: 'N1',
      xdmConfidentiality: ['N'],
      xdmPatientId: `${MAIN_INS}^^^&1.2.250.1.213.1.4.8&ISO`,
    });
    expect(doc.effectiveDate?.toISOString()).toBe('2024-01-15T09:00:00.000Z');
    expect(categoryOf(doc.typeCode)).toBe('ORDONNANCES_SOINS');
    // The PDF is the one the generator embedded, byte for byte.
    expect(doc.pdf?.equals(buildPdf({ lines: ['Ordonnance', `Patient INS ${MAIN_INS}`] }))).toBe(true);
    expect(doc.xml.toString('utf8')).toContain('<ClinicalDocument');
  });

  it('reads an N3 biology report', async () => {
    const doc = await onlyDocument('bio-n3.zip');
    expect(doc).toMatchObject({ typeCode: '11502-2', body: 'N3', version: 1 });
    expect(doc.pdf).toBeUndefined();
    expect(categoryOf(doc.typeCode)).toBe('BIOLOGIE');
  });

  it('tells two versions of one document apart: same setId, different ids, versions 1 and 2', async () => {
    const v1 = await onlyDocument('cr-v1.zip');
    const v2 = await onlyDocument('cr-v2.zip');
    expect(v1.setIdKey).toBe(v2.setIdKey);
    expect(v1.setIdKey).toBe(`${SET_ROOT}^CR-2024-0007`);
    expect(v1.idKey).not.toBe(v2.idKey);
    expect([v1.version, v2.version]).toEqual([1, 2]);
    expect(categoryOf(v2.typeCode)).toBe('COMPTES_RENDUS');
    expect(v2.effectiveDate!.getTime()).toBeGreaterThan(v1.effectiveDate!.getTime());
  });

  it('accepts a bare CDA attachment, without XDM metadata', async () => {
    const doc = await onlyDocument('bare-cda.xml');
    expect(doc).toMatchObject({ attachment: 'bare-cda.xml', typeCode: '11488-4', body: 'N1', xdmConfidentiality: [] });
    expect(doc.entry).toBeUndefined();
    expect(doc.xdmPatientId).toBeUndefined();
  });

  it('keeps the XDM confidentiality codes (MASQUE_PS is accepted for the citizen)', async () => {
    const doc = await onlyDocument('masque-ps.zip');
    expect(doc.xdmConfidentiality).toEqual(['N', 'MASQUE_PS']);
    expect(categoryOf(doc.typeCode)).toBe('IMAGERIE');
  });

  it('accepts an INVISIBLE_PATIENT document for a professional, with its codes', async () => {
    const doc = await onlyDocument('invisible-patient.zip', TO_PROFESSIONAL);
    expect(doc.xdmConfidentiality).toContain('INVISIBLE_PATIENT');
  });

  it('returns the documents of several attachments in order, ordinary attachments aside', async () => {
    const result = await checkAttachments(
      [
        { filename: 'presc-n1.zip', contentType: 'application/zip', content: fixture('presc-n1.zip') },
        { filename: 'image.png', contentType: 'image/png', content: fixture('image.png') },
        { filename: 'bio-n3.zip', contentType: 'application/zip', content: fixture('bio-n3.zip') },
        { filename: 'bare-cda.xml', contentType: 'text/xml', content: fixture('bare-cda.xml') },
      ],
      TO_CITIZEN,
    );
    expect(result.refusal).toBeUndefined();
    expect(result.documents.map((d) => d.typeCode)).toEqual(['57833-6', '11502-2', '11488-4']);
  });

  it('gives the same result for the same attachments', async () => {
    const run = () => checkOne(fixture('presc-n1.zip'), 'IHE_XDM.ZIP');
    expect(await run()).toEqual(await run());
  });

  it('recognises an XDM by its content whatever its name', async () => {
    const { documents, refusal } = await checkOne(fixture('presc-n1.zip'), 'ordonnance.pdf', TO_CITIZEN, 'application/pdf');
    expect(refusal).toBeUndefined();
    expect(documents).toHaveLength(1);
  });
});
