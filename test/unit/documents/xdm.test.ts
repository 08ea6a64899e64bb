import { describe, expect, it } from 'vitest';
import { MAIN_INS, buildXdm, type XdmSpec } from '../../../fixtures/builders.js';
import { DEFAULT_DOCUMENT_LIMITS } from '../../../src/documents/check.js';
import { DocumentProblem } from '../../../src/documents/problem.js';
import { parseCx, readXdm } from '../../../src/documents/xdm.js';
import { readZip, type ZipFileEntry } from '../../../src/documents/zip.js';

const METADATA = 'IHE_XDM/SUBSET01/METADATA.XML';

async function filesOf(spec: XdmSpec = {}): Promise<ZipFileEntry[]> {
  return readZip(await buildXdm(spec), DEFAULT_DOCUMENT_LIMITS);
}

/** The same files, METADATA.XML edited as text. */
function editMetadata(files: ZipFileEntry[], edit: (xml: string) => string): ZipFileEntry[] {
  return files.map((file) => (file.name === METADATA ? { name: file.name, content: Buffer.from(edit(file.content.toString('utf8'))) } : file));
}

function problemOf(files: ZipFileEntry[]): DocumentProblem {
  try {
    readXdm(files, DEFAULT_DOCUMENT_LIMITS);
  } catch (error) {
    if (error instanceof DocumentProblem) return error;
    throw error;
  }
  throw new Error('the XDM was accepted');
}

describe('IHE XDM layout and metadata', () => {
  it('reads each document entry: file, patient, type code, confidentiality codes', async () => {
    const documents = readXdm(await filesOf({ documents: [{}, { confidentiality: ['MASQUE_PS', 'INVISIBLE_REP_LEGAL'] }] }), DEFAULT_DOCUMENT_LIMITS);
    expect(documents.map(({ entry, patientId, typeCode, confidentiality }) => ({ entry, patientId, typeCode, confidentiality }))).toEqual([
      { entry: 'IHE_XDM/SUBSET01/DOC0001.XML', patientId: `${MAIN_INS}^^^&1.2.250.1.213.1.4.8&ISO`, typeCode: '57833-6', confidentiality: ['N'] },
      { entry: 'IHE_XDM/SUBSET01/DOC0002.XML', patientId: `${MAIN_INS}^^^&1.2.250.1.213.1.4.8&ISO`, typeCode: '57833-6', confidentiality: ['N', 'MASQUE_PS', 'INVISIBLE_REP_LEGAL'] },
    ]);
  });

  it('matches the layout without regard to case', async () => {
    const lower = (await filesOf()).map((file) => ({ ...file, name: file.name.toLowerCase() }));
    expect(readXdm(lower, DEFAULT_DOCUMENT_LIMITS)).toHaveLength(1);
  });

  it('accepts any subset folder name', async () => {
    expect(readXdm(await filesOf({ subset: 'SUBSET02' }), DEFAULT_DOCUMENT_LIMITS)[0]?.entry).toBe('IHE_XDM/SUBSET02/DOC0001.XML');
  });

  it('falls back on sourcePatientId when there is no patientId external identifier', async () => {
    const files = editMetadata(await filesOf(), (xml) => xml.replace(/<rim:ExternalIdentifier id="Document01-ei1"[\s\S]*?<\/rim:ExternalIdentifier>/, ''));
    expect(readXdm(files, DEFAULT_DOCUMENT_LIMITS)[0]?.patientId).toBe(`${MAIN_INS}^^^&1.2.250.1.213.1.4.8&ISO`);
  });

  it('reads classifications that stand apart from their document entry', async () => {
    const files = editMetadata(await filesOf({ documents: [{ confidentiality: ['MASQUE_PS'] }] }), (xml) => {
      const masque = /<rim:Classification id="Document01-c11"[\s\S]*?<\/rim:Classification>/.exec(xml)![0];
      return xml.replace(masque, '').replace('</rim:RegistryObjectList>', `${masque}\n</rim:RegistryObjectList>`);
    });
    expect(readXdm(files, DEFAULT_DOCUMENT_LIMITS)[0]?.confidentiality).toEqual(['N', 'MASQUE_PS']);
  });

  it('refuses URIs that leave the subset folder', async () => {
    const problem = problemOf(await filesOf({ documents: [{ metadata: { uri: '../DOC0001.XML' } }] }));
    expect(problem).toMatchObject({ check: 'XDM_METADATA_CONTENT', entry: METADATA });
  });

  it('refuses metadata without document entries, or that is not a SubmitObjectsRequest', async () => {
    const empty = editMetadata(await filesOf(), (xml) => xml.replace(/<rim:ExtrinsicObject[\s\S]*<\/rim:ExtrinsicObject>/, ''));
    expect(problemOf(empty).check).toBe('XDM_NO_DOCUMENT');
    const other = editMetadata(await filesOf(), () => '<RegistryObjectList xmlns="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"/>');
    expect(problemOf(other).check).toBe('XDM_METADATA_CONTENT');
  });

  it('refuses a document entry without size, hash or patient', async () => {
    for (const slot of ['size', 'hash']) {
      const files = editMetadata(await filesOf(), (xml) => xml.replace(new RegExp(`<rim:Slot name="${slot}">.*?</rim:Slot>`), ''));
      expect(problemOf(files).check, slot).toBe('XDM_METADATA_CONTENT');
    }
    const anonymous = editMetadata(await filesOf(), (xml) =>
      xml.replace(/<rim:ExternalIdentifier id="Document01-ei1"[\s\S]*?<\/rim:ExternalIdentifier>/, '').replace(/<rim:Slot name="sourcePatientId">.*?<\/rim:Slot>/, ''),
    );
    expect(problemOf(anonymous).check).toBe('XDM_METADATA_CONTENT');
  });

  it('parses METADATA.XML as safely as a CDA, and says so with its path', async () => {
    const files = editMetadata(await filesOf(), (xml) => xml.replace('?>', '?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'));
    expect(problemOf(files)).toMatchObject({ check: 'XML_DOCTYPE', entry: METADATA });
  });

  it('reads HL7 v2 CX patient identifiers', () => {
    expect(parseCx(`${MAIN_INS}^^^&1.2.250.1.213.1.4.8&ISO`)).toEqual({ id: MAIN_INS, oid: '1.2.250.1.213.1.4.8' });
    expect(parseCx(MAIN_INS)).toEqual({ id: MAIN_INS });
  });
});
