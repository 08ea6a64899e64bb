import { describe, expect, it } from 'vitest';
import { DOC_ROOT, MAIN_INS, buildCda, buildDetachedSignature, buildDicomKos, buildPdf, buildXdm, type XdmSpec } from '../../../fixtures/builders.js';
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
    const { documents } = readXdm(await filesOf({ documents: [{}, { confidentiality: ['MASQUE_PS', 'INVISIBLE_REP_LEGAL'] }] }), DEFAULT_DOCUMENT_LIMITS);
    expect(documents.map(({ entry, patientId, typeCode, confidentiality }) => ({ entry, patientId, typeCode, confidentiality }))).toEqual([
      { entry: 'IHE_XDM/SUBSET01/DOC0001.XML', patientId: `${MAIN_INS}^^^&1.2.250.1.213.1.4.8&ISO`, typeCode: '57833-6', confidentiality: ['N'] },
      { entry: 'IHE_XDM/SUBSET01/DOC0002.XML', patientId: `${MAIN_INS}^^^&1.2.250.1.213.1.4.8&ISO`, typeCode: '57833-6', confidentiality: ['N', 'MASQUE_PS', 'INVISIBLE_REP_LEGAL'] },
    ]);
  });

  it('matches the layout without regard to case', async () => {
    const lower = (await filesOf()).map((file) => ({ ...file, name: file.name.toLowerCase() }));
    expect(readXdm(lower, DEFAULT_DOCUMENT_LIMITS).documents).toHaveLength(1);
  });

  it('accepts any subset folder name', async () => {
    expect(readXdm(await filesOf({ subset: 'SUBSET02' }), DEFAULT_DOCUMENT_LIMITS).documents[0]?.entry).toBe('IHE_XDM/SUBSET02/DOC0001.XML');
  });

  it('falls back on sourcePatientId when there is no patientId external identifier', async () => {
    const files = editMetadata(await filesOf(), (xml) => xml.replace(/<rim:ExternalIdentifier id="Document01-ei1"[\s\S]*?<\/rim:ExternalIdentifier>/, ''));
    expect(readXdm(files, DEFAULT_DOCUMENT_LIMITS).documents[0]?.patientId).toBe(`${MAIN_INS}^^^&1.2.250.1.213.1.4.8&ISO`);
  });

  it('reads classifications that stand apart from their document entry', async () => {
    const files = editMetadata(await filesOf({ documents: [{ confidentiality: ['MASQUE_PS'] }] }), (xml) => {
      const masque = /<rim:Classification id="Document01-c11"[\s\S]*?<\/rim:Classification>/.exec(xml)![0];
      return xml.replace(masque, '').replace('</rim:RegistryObjectList>', `${masque}\n</rim:RegistryObjectList>`);
    });
    expect(readXdm(files, DEFAULT_DOCUMENT_LIMITS).documents[0]?.confidentiality).toEqual(['N', 'MASQUE_PS']);
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

describe('document URIs, as ITI-32 writers give them', () => {
  it('finds a document named from the subset folder, from IHE_XDM/ or from the root', async () => {
    for (const uri of ['DOC0001.XML', 'SUBSET01/DOC0001.XML', 'IHE_XDM/SUBSET01/DOC0001.XML', 'subset01/doc0001.xml']) {
      const { documents } = readXdm(await filesOf({ documents: [{ metadata: { uri } }] }), DEFAULT_DOCUMENT_LIMITS);
      expect(documents.map((d) => d.entry), uri).toEqual(['IHE_XDM/SUBSET01/DOC0001.XML']);
    }
  });

  it('finds a document in a folder of its subset, and decodes a percent-encoded URI', async () => {
    const nested = await filesOf({ documents: [{ file: 'CR/DOC 1.XML', metadata: { uri: 'CR/DOC%201.XML' } }] });
    expect(readXdm(nested, DEFAULT_DOCUMENT_LIMITS).documents[0]?.entry).toBe('IHE_XDM/SUBSET01/CR/DOC 1.XML');
  });

  it('joins a long URI split over ranked values ("1|…", "2|…")', async () => {
    const files = editMetadata(await filesOf(), (xml) =>
      xml.replace('<rim:Value>DOC0001.XML</rim:Value>', '<rim:Value>2|01.XML</rim:Value><rim:Value>1|DOC00</rim:Value>'),
    );
    expect(readXdm(files, DEFAULT_DOCUMENT_LIMITS).documents[0]?.entry).toBe('IHE_XDM/SUBSET01/DOC0001.XML');
  });

  it('refuses a URI that names a file of another subset, or another scheme', async () => {
    const other = await filesOf({ documents: [{ metadata: { uri: 'SUBSET02/DOC0001.XML' } }], extra: [{ name: 'IHE_XDM/SUBSET02/DOC0001.XML', content: buildCda() }] });
    expect(problemOf(other)).toMatchObject({ check: 'XDM_METADATA_CONTENT', entry: METADATA });
    expect(problemOf(other).detail).toContain('outside the subset folder');
    expect(problemOf(await filesOf({ documents: [{ metadata: { uri: 'file:///etc/passwd' } }] })).check).toBe('XDM_METADATA_CONTENT');
  });

  it('says which file a missing document should be', async () => {
    const problem = problemOf(await filesOf({ documents: [{ missing: true, metadata: { uri: 'SUBSET01/DOC0001.XML' } }] }));
    expect(problem).toMatchObject({ check: 'XDM_DOCUMENT_MISSING', entry: METADATA });
    expect(problem.detail).toContain('points to "IHE_XDM/SUBSET01/DOC0001.XML"');
  });
});

describe('every entry judged by its own kind', () => {
  const pdf = buildPdf({ lines: ['Compte rendu'] });
  const cda = buildCda();
  const signature = buildDetachedSignature([{ uniqueId: `${DOC_ROOT}.1`, content: cda }]);

  it('reads a PDF, a DICOM KOS and a signature listed beside the CDA, each as what it is', async () => {
    const { documents, extras } = readXdm(
      await filesOf({
        documents: [
          {},
          { content: pdf, file: 'DOC0002.PDF', metadata: { mimeType: 'application/pdf' } },
          { content: buildDicomKos(), file: 'DOC0003.DCM', metadata: { mimeType: 'application/dicom' } },
          { content: signature, file: 'DOC0004.XML', metadata: { mimeType: 'text/xml' } },
        ],
      }),
      DEFAULT_DOCUMENT_LIMITS,
    );
    expect(documents.map((d) => [d.entry, d.format])).toEqual([
      ['IHE_XDM/SUBSET01/DOC0001.XML', 'cda'],
      ['IHE_XDM/SUBSET01/DOC0002.PDF', 'pdf'],
      ['IHE_XDM/SUBSET01/DOC0003.DCM', 'dicom'],
      ['IHE_XDM/SUBSET01/DOC0004.XML', 'signature'],
    ]);
    expect(extras).toEqual([]);
  });

  it('checks the size and hash of every listed entry, not only of the CDA', async () => {
    const files = await filesOf({ documents: [{}, { content: pdf, file: 'DOC0002.PDF', metadata: { mimeType: 'application/pdf', hash: 'a'.repeat(40) } }] });
    expect(problemOf(files)).toMatchObject({ check: 'XDM_HASH', entry: 'IHE_XDM/SUBSET01/DOC0002.PDF' });
  });

  it('refuses an entry that is not what METADATA.XML declares it to be', async () => {
    const files = await filesOf({ documents: [{}, { content: Buffer.from('<html><script>x()</script></html>'), file: 'DOC0002.PDF', metadata: { mimeType: 'application/pdf' } }] });
    const problem = problemOf(files);
    expect(problem).toMatchObject({ check: 'XDM_MIME_TYPE', entry: 'IHE_XDM/SUBSET01/DOC0002.PDF' });
    expect(problem.detail).toContain('declares the MIME type "application/pdf" but the file is HTML');
  });

  it('reads a signature as safely as any XML', async () => {
    const hostile = Buffer.from('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><Signature xmlns="http://www.w3.org/2000/09/xmldsig#">&e;</Signature>');
    const files = await filesOf({ documents: [{}, { content: hostile, file: 'SIG.XML' }] });
    expect(problemOf(files)).toMatchObject({ check: 'XML_DOCTYPE', entry: 'IHE_XDM/SUBSET01/SIG.XML' });
  });

  it('returns the entries nobody lists with their format', async () => {
    const { extras } = readXdm(
      await filesOf({ extra: [{ name: 'evil.html', content: Buffer.from('<html><script>steal()</script></html>') }, { name: 'setup.exe', content: Buffer.from('MZ\x90\x00', 'latin1') }, { name: 'IHE_XDM/SUBSET01/LOGO.PNG', content: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) }] }),
      DEFAULT_DOCUMENT_LIMITS,
    );
    expect(extras).toEqual([
      { entry: 'evil.html', format: 'html' },
      { entry: 'setup.exe', format: 'windows-executable' },
      { entry: 'IHE_XDM/SUBSET01/LOGO.PNG', format: 'png' },
    ]);
  });

  it('refuses a CDA that no METADATA.XML lists: it would go unchecked', async () => {
    const files = await filesOf({ extra: [{ name: 'IHE_XDM/SUBSET01/HIDDEN.XML', content: buildCda({ id: { root: DOC_ROOT, extension: 'HIDDEN' } }) }] });
    expect(problemOf(files)).toMatchObject({ check: 'XDM_UNLISTED_DOCUMENT', entry: 'IHE_XDM/SUBSET01/HIDDEN.XML' });
  });

  it('wants README.TXT to be text and INDEX.HTM to be a page', async () => {
    const exe = Buffer.from('MZ\x90\x00\x03\x00', 'latin1');
    const readme = (await filesOf()).map((f) => (f.name === 'README.TXT' ? { ...f, content: exe } : f));
    expect(problemOf(readme)).toMatchObject({ check: 'XDM_README', entry: 'README.TXT' });
    const index = (await filesOf()).map((f) => (f.name === 'INDEX.HTM' ? { ...f, content: exe } : f));
    expect(problemOf(index)).toMatchObject({ check: 'XDM_INDEX', entry: 'INDEX.HTM' });
  });
});
