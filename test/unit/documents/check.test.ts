import { describe, expect, it } from 'vitest';
import { DOC_ROOT, MAIN_INS, OTHER_INS, buildCda, buildXdm, type CdaSpec } from '../../../fixtures/builders.js';
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
