/**
 * A stored message as the webmail reads it, from its MIME index (src/mime/indexer.ts, as the
 * ingest builds it): which parts are the bodies, which are attachments and under what name,
 * and their exact sizes and bytes once decoded. Real MIME only: the tricky messages of
 * fixtures/imap, and messages composed by nodemailer as the webmail and mail clients send them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import type { SendMailOptions } from 'nodemailer/lib/mailer/index.js';
import { describe, expect, it } from 'vitest';
import { buildCda, buildPdf, buildPng, pseudoRandomBytes } from '../../../fixtures/builders.js';
import { toCrlf } from '../../../src/mime/crlf.js';
import { indexMessage } from '../../../src/mime/indexer.js';
import type { MimeIndex } from '../../../src/mime/types.js';
import type { BlobStore } from '../../../src/store/types.js';
import { attachmentsOf, bodiesOf, decodedPart, partSize, partText } from '../../../src/web/message-parts.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');

interface Stored {
  raw: Buffer;
  mime: MimeIndex;
  /** a blob store holding only this message, under the id 'm' */
  blobs: BlobStore;
}

function stored(raw: Buffer): Stored {
  const blobs = {
    read: async (id: string, range?: { start: number; end: number }) => {
      if (id !== 'm') throw new Error(`unknown blob ${id}`);
      return range ? raw.subarray(range.start, range.end) : raw;
    },
  } as unknown as BlobStore;
  return { raw, mime: indexMessage(raw), blobs };
}

/** a fixture of fixtures/imap as the ingest stores it (CRLF line ends) */
const fixture = (name: string) => stored(toCrlf(readFileSync(path.join(ROOT, 'fixtures/imap', `${name}.eml`))));

async function composed(mail: SendMailOptions): Promise<Stored> {
  const raw = await new MailComposer({ from: 'dr.house@hopital.mssante.fr', to: '184127645108946@patient.mssante.fr', subject: 'Test', ...mail }).compile().build();
  return stored(toCrlf(raw));
}

async function text(s: Stored, which: 'text' | 'html'): Promise<string | undefined> {
  const part = bodiesOf(s.mime)[which];
  return part && partText(s.blobs, 'm', part);
}

describe('bodies', () => {
  it('takes the plain and the HTML body of an alternative with an inline image, in their charsets', async () => {
    const s = fixture('alternative-related');
    expect(await text(s, 'text')).toBe('Compte rendu écrit.'); // ISO-8859-1, quoted-printable
    expect(await text(s, 'html')).toBe('<html><body><img src="cid:logo@h"></body></html>');
    expect(attachmentsOf(s.mime).map((a) => [a.name, a.type, a.part.id])).toEqual([['logo.png', 'image/png', '<logo@h>']]);
  });

  it('reads a message without MIME headers as plain text', async () => {
    const s = fixture('no-content-type');
    expect(await text(s, 'text')).toBe('Un message sans en-tetes MIME.\r\nDeuxieme ligne.\r\n');
    expect(bodiesOf(s.mime).html).toBeUndefined();
    expect(attachmentsOf(s.mime)).toEqual([]);
  });

  it('reads 8-bit UTF-8 text', async () => {
    expect(await text(fixture('headers-8bit'), 'text')).toBe("Renouvellement à l'identique.\r\nBien à vous.\r\n");
  });

  it('never takes the body of a forwarded message for the message’s own: each forwarded message is one attachment', async () => {
    const s = fixture('nested-rfc822');
    expect(await text(s, 'text')).toBe('Voici les deux messages.');
    expect(bodiesOf(s.mime).html).toBeUndefined(); // the HTML inside the first forwarded message is not ours
    const attachments = attachmentsOf(s.mime);
    expect(attachments.map((a) => [a.index, a.name, a.type, a.isCda])).toEqual([
      [0, 'message.eml', 'message/rfc822', false],
      [1, 'message.eml', 'message/rfc822', false],
    ]);
    const forwarded = (await decodedPart(s.blobs, 'm', attachments[1]!.part)).toString();
    expect(forwarded).toBe('From: Patient <patient@ch-lyon.mssante.fr>\r\nSubject: simple\r\n\r\nBonjour docteur,\r\nmerci.');
    expect(await partSize(s.blobs, 'm', attachments[1]!.part)).toBe(Buffer.byteLength(forwarded));
  });

  it('skips an empty text part, and keeps an empty attachment', async () => {
    const s = fixture('empty-parts');
    const attachments = attachmentsOf(s.mime);
    expect(attachments.map((a) => [a.name, a.type])).toEqual([['vide.bin', 'application/octet-stream']]);
    expect(await partSize(s.blobs, 'm', attachments[0]!.part)).toBe(0);
  });

  it('takes a text part with a file name for an attachment, not a body', async () => {
    const s = await composed({ text: 'Le corps.', attachments: [{ filename: 'notes.txt', content: 'Des notes.\n', contentType: 'text/plain' }] });
    expect(await text(s, 'text')).toBe('Le corps.');
    const [notes] = attachmentsOf(s.mime);
    expect(notes).toMatchObject({ index: 0, name: 'notes.txt', type: 'text/plain', isCda: false });
    expect((await decodedPart(s.blobs, 'm', notes!.part)).toString()).toBe('Des notes.\n'); // base64: the bytes as given
  });
});

describe('attachment names', () => {
  it('decodes RFC 2231 parameters, preferring the Content-Disposition filename', () => {
    const [pdf] = attachmentsOf(fixture('rfc2231').mime);
    expect(pdf).toMatchObject({ name: 'résultat.pdf', type: 'application/pdf' });
  });

  it('decodes RFC 2047 encoded words in a quoted name, as many clients write them', async () => {
    const raw = toCrlf(
      Buffer.from(
        [
          'From: dr.house@hopital.mssante.fr',
          'Subject: noms',
          'MIME-Version: 1.0',
          'Content-Type: multipart/mixed; boundary=b',
          '',
          '--b',
          'Content-Type: text/plain',
          '',
          'Voir.',
          '--b',
          'Content-Type: image/png; name="=?utf-8?B?cmFkaW9ncmFwaGllIMOpdMOpLnBuZw==?="',
          'Content-Transfer-Encoding: base64',
          '',
          buildPng().toString('base64'),
          '--b',
          'Content-Type: application/pdf',
          'Content-Disposition: attachment; filename="=?iso-8859-1?Q?ordonnance_r=E9nov=E9e.pdf?="',
          'Content-Transfer-Encoding: base64',
          '',
          'JVBERi0=',
          '--b',
          'Content-Type: application/octet-stream',
          'Content-Disposition: attachment; filename="..\\\\..\\\\windows/system32.dll"',
          '',
          'x',
          '--b',
          'Content-Type: application/pdf',
          'Content-Transfer-Encoding: base64',
          '',
          'JVBERi0=',
          '--b--',
          '',
        ].join('\n'),
      ),
    );
    const names = attachmentsOf(indexMessage(raw)).map((a) => a.name);
    expect(names).toEqual(['radiographie été.png', 'ordonnance rénovée.pdf', '.._.._windows_system32.dll', 'piece-jointe-4']);
  });

  it('names what nodemailer encodes (non-ASCII names) back as they were given', async () => {
    const s = await composed({
      text: 'Voir.',
      attachments: [
        { filename: 'compte rendu d’hospitalisation été 2025.pdf', content: buildPdf() },
        { filename: 'ordonnance-été.xml', content: buildCda() },
      ],
    });
    expect(attachmentsOf(s.mime).map((a) => a.name)).toEqual(['compte rendu d’hospitalisation été 2025.pdf', 'ordonnance-été.xml']);
  });
});

describe('attachment sizes and bytes', () => {
  it('gives the exact decoded size of base64 parts of the fixtures (padding and the last line break)', async () => {
    for (const [name, size] of [
      ['rfc2231', 5], // "JVBERi0=" is "%PDF-"
      ['base64-attachment', 96],
      ['alternative-related', 8], // the PNG signature
    ] as const) {
      const s = fixture(name);
      const [attachment] = attachmentsOf(s.mime);
      const bytes = await decodedPart(s.blobs, 'm', attachment!.part);
      expect(bytes.length, name).toBe(size);
      expect(await partSize(s.blobs, 'm', attachment!.part), name).toBe(size);
    }
  });

  it('gives exact sizes and bytes for every length of content, whatever the padding', async () => {
    const contents = [0, 1, 2, 3, 4, 56, 57, 58, 59, 114, 1000, 4096, 65_537].map((n) => pseudoRandomBytes(n, n + 1));
    const s = await composed({ text: 'Tailles.', attachments: contents.map((content, i) => ({ filename: `f${i}.bin`, content, contentType: 'application/octet-stream' })) });
    const attachments = attachmentsOf(s.mime);
    expect(attachments).toHaveLength(contents.length);
    for (const [i, content] of contents.entries()) {
      const part = attachments[i]!.part;
      expect(part.encoding).toBe('base64');
      expect((await decodedPart(s.blobs, 'm', part)).equals(content), `f${i}`).toBe(true);
      expect(await partSize(s.blobs, 'm', part), `f${i} (${content.length} bytes)`).toBe(content.length);
    }
  });

  it('gives the exact size of a base64 part at the very end of a single-part message, its last line ended', async () => {
    const content = pseudoRandomBytes(100, 7);
    const raw = toCrlf(Buffer.from(`Content-Type: application/pdf; name=a.pdf\nContent-Transfer-Encoding: base64\n\n${content.toString('base64').replace(/.{76}/g, '$&\n')}\n`));
    const s = stored(raw);
    const [attachment] = attachmentsOf(s.mime);
    expect(await partSize(s.blobs, 'm', attachment!.part)).toBe(100);
    expect((await decodedPart(s.blobs, 'm', attachment!.part)).equals(content)).toBe(true);
  });

  it('gives the decoded size of irregular base64 (spaces, short lines) and of quoted-printable', async () => {
    const raw = toCrlf(
      Buffer.from(
        [
          'Content-Type: multipart/mixed; boundary=b',
          '',
          '--b',
          'Content-Type: application/octet-stream; name=a.bin',
          'Content-Transfer-Encoding: base64',
          '',
          'QUJD REVG ',
          'R0g=',
          '--b',
          'Content-Type: text/plain; charset=utf-8; name=b.txt',
          'Content-Transfer-Encoding: quoted-printable',
          '',
          'caf=C3=A9 =',
          'cr=C3=A8me',
          '--b--',
          '',
        ].join('\n'),
      ),
    );
    const s = stored(raw);
    const [bin, txt] = attachmentsOf(s.mime);
    expect((await decodedPart(s.blobs, 'm', bin!.part)).toString()).toBe('ABCDEFGH');
    expect(await partSize(s.blobs, 'm', bin!.part)).toBe(8);
    expect((await decodedPart(s.blobs, 'm', txt!.part)).toString()).toBe('café crème');
    expect(await partSize(s.blobs, 'm', txt!.part)).toBe(Buffer.byteLength('café crème'));
  });
});

describe('the CDA hint', () => {
  it('marks XML and zip attachments as possible CDA documents (the API then reads their content), nothing else', async () => {
    const s = await composed({
      text: 'Documents.',
      attachments: [
        { filename: 'cda.xml', content: buildCda(), contentType: 'text/xml' },
        { filename: 'IHE_XDM.ZIP', content: readFileSync(path.join(ROOT, 'fixtures/documents/presc-n1.zip')) },
        { filename: 'document', content: buildCda(), contentType: 'application/hl7-cda+xml' },
        { filename: 'cr.pdf', content: buildPdf() },
        { filename: 'photo.png', content: buildPng() },
      ],
    });
    expect(attachmentsOf(s.mime).map((a) => [a.name, a.isCda])).toEqual([
      ['cda.xml', true],
      ['IHE_XDM.ZIP', true],
      ['document', true],
      ['cr.pdf', false],
      ['photo.png', false],
    ]);
  });
});
