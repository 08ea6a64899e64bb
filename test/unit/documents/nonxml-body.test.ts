/**
 * Level-1 CDA bodies (component/nonXMLBody/text, an HL7 ED value): the CI-SIS media types
 * (application/pdf, image/jpeg, image/tiff, text/plain, text/rtf), each checked against its
 * content, complete, and not two formats at once — for every recipient, professionals included.
 */
import { describe, expect, it } from 'vitest';
import { buildCda, buildJpeg, buildPdf, buildPng, buildRtf, buildTiff, buildZip, pseudoRandomBytes, type CdaSpec } from '../../../fixtures/builders.js';
import { TO_CITIZEN, TO_PROFESSIONAL, checkOne } from './support.js';

const media = (content: Buffer, mediaType: string): CdaSpec => ({ body: { media: content, mediaType } });
const ed = (attributes: string, text: string): CdaSpec => ({ body: { xml: `<component><nonXMLBody><text ${attributes}>${text}</text></nonXMLBody></component>` } });

async function check(spec: CdaSpec, options = TO_CITIZEN) {
  const { refusal, documents } = await checkOne(buildCda(spec), 'cda.xml', options, 'text/xml');
  return { refusal, document: documents[0] };
}

describe('the media types of the CI-SIS are accepted, each by its content', () => {
  it.each([
    ['application/pdf', media(buildPdf(), 'application/pdf')],
    ['image/jpeg', media(buildJpeg(), 'image/jpeg')],
    ['image/tiff', media(buildTiff(), 'image/tiff')],
    ['text/rtf', media(buildRtf(), 'text/rtf')],
    ['text/plain in base64', media(Buffer.from('Résultats normaux.\r\nÀ revoir dans six mois.\r\n'), 'text/plain')],
    ['text/plain written as text (representation TXT)', { body: { text: 'Résultats normaux. À revoir dans six mois.' } }],
    ['the ED defaults: no mediaType nor representation is plain text', ed('', 'Résultats normaux.')],
    ['a media type in capitals', media(buildJpeg(), 'IMAGE/JPEG')],
  ] as [string, CdaSpec][])('%s', async (_label, spec) => {
    const { refusal, document } = await check(spec);
    expect(refusal).toBeUndefined();
    expect(document?.body).toBe('N1');
  });

  it('gives the record the PDF of a PDF body only', async () => {
    const pdf = buildPdf({ lines: ['Compte rendu'] });
    expect((await check(media(pdf, 'application/pdf'))).document?.pdf?.equals(pdf)).toBe(true);
    expect((await check(media(buildJpeg(), 'image/jpeg'))).document?.pdf).toBeUndefined();
  });
});

describe('a body that is not what it declares is refused, for professionals too', () => {
  const cases: [string, CdaSpec, 'CDA_BODY' | 'CDA_PDF', string][] = [
    ['a media type outside the CI-SIS list', media(buildPng(), 'image/png'), 'CDA_BODY', 'mediaType "image/png" is not one the CI-SIS allows (application/pdf, image/jpeg, image/tiff, text/plain, text/rtf)'],
    ['a PDF declared image/jpeg', media(buildPdf(), 'image/jpeg'), 'CDA_BODY', 'does not contain a JPEG image (declared "image/jpeg", the content is PDF)'],
    ['a JPEG declared application/pdf', media(buildJpeg(), 'application/pdf'), 'CDA_PDF', 'does not contain a PDF (declared "application/pdf", the content is JPEG image)'],
    ['a PNG declared image/tiff', media(buildPng(), 'image/tiff'), 'CDA_BODY', 'the content is PNG image'],
    ['RTF declared text/plain', media(buildRtf(), 'text/plain'), 'CDA_BODY', 'does not contain plain text (declared "text/plain", the content is RTF text)'],
    ['HTML declared text/plain', media(Buffer.from('<html><script>alert(1)</script></html>'), 'text/plain'), 'CDA_BODY', 'the content is HTML'],
    ['binary data declared text/plain', media(Buffer.from([0x00, 0x01, 0x02, 0x41]), 'text/plain'), 'CDA_BODY', 'the content is unrecognised binary data'],
    ['a truncated PDF', media(buildPdf().subarray(0, 200), 'application/pdf'), 'CDA_PDF', 'no %%EOF trailer: the PDF is truncated'],
    ['a truncated JPEG', media(buildJpeg().subarray(0, 100), 'image/jpeg'), 'CDA_BODY', 'no end-of-image marker: the JPEG is truncated'],
    ['a TIFF without its directory', media(buildTiff().subarray(0, 40), 'image/tiff'), 'CDA_BODY', 'its first image directory is missing or outside the file'],
    ['a truncated RTF', media(buildRtf().subarray(0, 60), 'text/rtf'), 'CDA_BODY', 'the RTF group is not closed'],
    ['a PDF written as text', ed('mediaType="application/pdf" representation="TXT"', 'JVBERi0x'), 'CDA_BODY', 'only text/plain may be written as text'],
    ['an unknown representation', ed('mediaType="application/pdf" representation="XML"', 'x'), 'CDA_BODY', 'representation must be "B64" (or "TXT" for text/plain), not "XML"'],
    ['a compressed body', ed('mediaType="application/pdf" representation="B64" compression="DF"', 'eJwrSS0u0U1LzMlJAQAW7gQp'), 'CDA_BODY', 'is compressed (compression="DF")'],
    ['an empty text body', { body: { text: '  ' } }, 'CDA_BODY', 'the CDA nonXMLBody (text/plain) is empty'],
    ['a body that is only a reference', ed('mediaType="application/pdf" representation="B64"', '<reference value="http://example.org/cr.pdf"/>'), 'CDA_PDF', 'is not valid base64'],
    ['no text element', { body: { xml: '<component><nonXMLBody/></component>' } }, 'CDA_BODY', 'the CDA nonXMLBody has no text element'],
    ['invalid base64', { body: { base64: '%%% not base64 %%%' } }, 'CDA_PDF', 'is not valid base64'],
  ];
  it.each(cases)('%s', async (_label, spec, check, says) => {
    for (const options of [TO_CITIZEN, TO_PROFESSIONAL]) {
      const { refusal } = await checkOne(buildCda(spec), 'cda.xml', options, 'text/xml');
      expect(refusal).toMatchObject({ code: 'INVALID_DOCUMENT', check, attachment: 'cda.xml' });
      expect(refusal?.message).toContain(says);
    }
  });
});

describe('an embedded body that is two formats at once is refused', () => {
  const zip = () => buildZip([{ name: 'evil.html', content: Buffer.from('<script>alert(1)</script>') }]);
  it('a PDF with a zip appended, a PDF with HTML after its trailer, a JPEG with a zip appended', async () => {
    const pdfZip = await check(media(Buffer.concat([buildPdf(), await zip()]), 'application/pdf'), TO_PROFESSIONAL);
    expect(pdfZip.refusal).toMatchObject({ check: 'CDA_PDF' });
    expect(pdfZip.refusal?.message).toContain('the CDA nonXMLBody (application/pdf) is also a zip archive: a file that is two formats at once is refused');
    const pdfHtml = await check(media(Buffer.concat([buildPdf(), Buffer.from('<html><script>alert(1)</script></html>')]), 'application/pdf'));
    expect(pdfHtml.refusal?.message).toContain('is also an HTML page');
    // An archive bigger than the reach of the trailer checks is still named for what it is.
    const big = await buildZip([{ name: 'payload.bin', content: pseudoRandomBytes(4096), compress: false }]);
    const jpegZip = await check(media(Buffer.concat([buildJpeg(), big]), 'image/jpeg'));
    expect(jpegZip.refusal).toMatchObject({ check: 'CDA_BODY' });
    expect(jpegZip.refusal?.message).toContain('(image/jpeg) is also a zip archive');
  });
});
