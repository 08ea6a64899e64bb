/**
 * What the document checks see of a message (readContent's attachments): every part a document
 * can sit in, wherever in the MIME tree and however it is declared or encoded. Messages are
 * composed by nodemailer, or written by hand for what nodemailer never writes.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { buildCda, buildXdm, uuencode } from '../../../fixtures/builders.js';
import { readContent } from '../../../src/pipeline/content.js';
import { readParts } from '../../../src/pipeline/parts.js';
import { compose } from '../../../src/pipeline/submit.js';
import type { SendMailOptions } from 'nodemailer/lib/mailer/index.js';

const HEAD = 'From: dr.house@hopital.mssante.fr\r\nTo: 184127645108946@patient.mssante.fr\r\nSubject: Test\r\nMIME-Version: 1.0\r\n';

async function bytesOf(mail: SendMailOptions): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of compose({ from: 'dr.house@hopital.mssante.fr', to: '184127645108946@patient.mssante.fr', subject: 'Test', ...mail })) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function read(message: Buffer | string) {
  return readContent(Readable.from([Buffer.isBuffer(message) ? message : Buffer.from(message, 'latin1')]));
}

/** A hand-written multipart/mixed message: a text part, then the given parts (header lines and body). */
function multipart(...parts: [headers: string, body: string][]): string {
  return multipartWith('b1', ...parts);
}

function multipartWith(boundary: string, ...parts: [headers: string, body: string][]): string {
  const sections = [['Content-Type: text/plain; charset=utf-8', 'Bonjour,\r\nveuillez trouver le document.'], ...parts];
  const body = sections.map(([h, b]) => `--${boundary}\r\n${h}\r\n\r\n${b}\r\n`).join('');
  return `${HEAD}Content-Type: multipart/mixed; boundary="${boundary}"\r\n\r\n${body}--${boundary}--\r\n`;
}

describe('the parts the document checks see', () => {
  it('reads the XDM inside a forwarded message sent as an attachment', async () => {
    const xdm = await buildXdm();
    const forwarded = await bytesOf({ subject: 'Résultats', text: 'voir PJ', attachments: [{ filename: 'IHE_XDM.ZIP', content: xdm }] });
    // Forwarded "as attachment" (Thunderbird's default): a reader that does not open it sees one opaque file.
    const outer = await bytesOf({ text: 'Je vous transfère', attachments: [{ filename: 'Fwd.eml', contentType: 'message/rfc822', contentDisposition: 'attachment', content: forwarded }] });
    const { attachments } = await read(outer);
    const found = attachments.find((a) => a.filename === 'IHE_XDM.ZIP');
    expect(found?.content.equals(xdm)).toBe(true);
    expect(found?.within).toBe('forwarded message "Fwd.eml"');
  });

  it('reads a forwarded message that is base64-encoded, and one nested in another', async () => {
    const xdm = await buildXdm();
    const inner = await bytesOf({ subject: 'Compte rendu', attachments: [{ filename: 'IHE_XDM.ZIP', content: xdm }] });
    const middle = multipartWith('b2', ['Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64', inner.toString('base64').replace(/.{76}/g, '$&\r\n')]);
    const outer = multipart(['Content-Type: message/rfc822\r\nContent-Disposition: attachment', middle]);
    const found = (await read(outer)).attachments.find((a) => a.filename === 'IHE_XDM.ZIP');
    expect(found?.content.equals(xdm)).toBe(true);
    expect(found?.within).toBe('forwarded message "Test" › forwarded message "Compte rendu"');
  });

  it('names the parts of a forwarded message read inline', async () => {
    const xdm = await buildXdm();
    const forwarded = await bytesOf({ subject: 'Bilan', attachments: [{ filename: 'IHE_XDM.ZIP', content: xdm }] });
    const outer = multipart(['Content-Type: message/rfc822\r\nContent-Disposition: inline', forwarded.toString('latin1')]);
    const found = (await read(outer)).attachments.find((a) => a.filename === 'IHE_XDM.ZIP');
    expect(found?.within).toBe('forwarded message "Bilan"');
  });

  it('takes an inline text part whose content is a CDA, not the message text', async () => {
    const cda = buildCda();
    const message = await bytesOf({ text: 'Bonjour', attachments: [{ content: cda, contentType: 'text/plain', contentDisposition: 'inline' }] });
    const { attachments } = await read(message);
    expect(attachments.map((a) => a.contentType)).toEqual(['text/plain']);
    expect(attachments[0]?.content.toString('utf8')).toBe(cda.toString('utf8'));
  });

  it('takes a text body that is a zip (a binary part declared text/plain)', async () => {
    const xdm = await buildXdm();
    const message = multipart(['Content-Type: text/plain\r\nContent-Transfer-Encoding: base64', xdm.toString('base64')]);
    expect((await read(message)).attachments.map((a) => a.content.equals(xdm))).toEqual([true]);
  });

  it('decodes an x-uuencode part, and uuencoded files in a text body', async () => {
    const xdm = await buildXdm();
    const encoded = multipart(['Content-Type: application/zip; name="IHE_XDM.ZIP"\r\nContent-Transfer-Encoding: x-uuencode', uuencode(xdm, 'IHE_XDM.ZIP')]);
    const [part] = (await read(encoded)).attachments;
    expect(part?.content.equals(xdm)).toBe(true);
    const inText = `${HEAD}Content-Type: text/plain\r\n\r\nVoici le dossier :\r\n\r\n${uuencode(xdm, 'dossier.zip')}\r\nCordialement\r\n`;
    const [file] = (await read(inText)).attachments;
    expect(file).toMatchObject({ filename: 'dossier.zip' });
    expect(file?.content.equals(xdm)).toBe(true);
  });

  it('decodes quoted-printable parts', async () => {
    const cda = buildCda();
    const message = await bytesOf({ text: 'Bonjour', attachments: [{ filename: 'cr.xml', content: cda, contentTransferEncoding: 'quoted-printable' }] });
    expect(message.toString('latin1')).toContain('quoted-printable');
    expect((await read(message)).attachments[0]?.content.equals(cda)).toBe(true);
  });

  it('marks what cannot be decoded, so the checks refuse it', async () => {
    const unknown = multipart(['Content-Type: application/zip\r\nContent-Transfer-Encoding: x-gzip64', 'H4sIAAAAAAAA']);
    expect((await read(unknown)).attachments[0]?.unreadable).toMatchObject({ check: 'MIME_ENCODING' });
    const broken = multipart(['Content-Type: application/zip\r\nContent-Transfer-Encoding: x-uuencode', 'not uuencoded at all']);
    expect((await read(broken)).attachments[0]?.unreadable?.reason).toContain('not valid uuencoded data');
  });

  it('reads forwarded messages down to a bounded depth, then refuses', async () => {
    let message = await bytesOf({ attachments: [{ filename: 'IHE_XDM.ZIP', content: await buildXdm() }] });
    for (let i = 0; i < 4; i++) {
      message = await bytesOf({ attachments: [{ filename: `fwd${i}.eml`, contentType: 'message/rfc822', contentDisposition: 'attachment', content: message }] });
    }
    expect((await readParts(Readable.from([message]), { maxNesting: 4 })).attachments.some((a) => a.filename === 'IHE_XDM.ZIP')).toBe(true);
    const deeper = (await readParts(Readable.from([message]), { maxNesting: 3 })).attachments;
    expect(deeper.some((a) => a.filename === 'IHE_XDM.ZIP')).toBe(false);
    expect(deeper.find((a) => a.unreadable)?.unreadable).toMatchObject({ check: 'MIME_NESTING' });
  });

  it("keeps the message's order: a forwarded message's parts sit where it sat", async () => {
    const forwarded = await bytesOf({ attachments: [{ filename: 'IHE_XDM.ZIP', content: await buildXdm() }] });
    const message = await bytesOf({
      attachments: [
        { filename: 'a.txt', content: 'a' },
        { filename: 'Fwd.eml', contentType: 'message/rfc822', contentDisposition: 'attachment', content: forwarded },
        { filename: 'b.txt', content: 'b' },
      ],
    });
    expect((await read(message)).attachments.map((a) => a.filename)).toEqual(['a.txt', 'IHE_XDM.ZIP', 'b.txt']);
  });

  it('counts a forwarded message once in the attachment bytes, leaves the message text out', async () => {
    const xdm = await buildXdm();
    const forwarded = await bytesOf({ attachments: [{ filename: 'IHE_XDM.ZIP', content: xdm }] });
    const outer = await bytesOf({ text: 'x'.repeat(5000), attachments: [{ filename: 'Fwd.eml', contentType: 'message/rfc822', contentDisposition: 'attachment', content: forwarded }] });
    expect((await read(outer)).attachmentBytes).toBe(forwarded.length);
    expect((await read(await bytesOf({ text: 'Bonjour', html: '<p>Bonjour</p>' }))).attachments).toEqual([]);
  });
});
