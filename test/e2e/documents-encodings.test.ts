/**
 * CDA encodings and polyglots through the running server, by SMTP submission: a CDA written in
 * windows-1252 or UTF-16 reaches the citizen and is filed with its text read right; one whose
 * bytes are not what it declares is refused with 554 5.6.0 naming the check — towards a
 * professional too, whatever its name or content type; a PDF that is also a zip never reaches
 * a citizen.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOC_ROOT, buildCda, buildPdf, buildZip, type CdaSpec } from '../../fixtures/builders.js';
import { mssgw } from '../helpers/cli.js';
import { COLLEAGUE, DOCTOR, INS, citizen, startWorld, trySend, type World } from '../helpers/world.js';

const JEANNE = citizen(INS.jeanne); // the fixtures' main patient
/** Characters windows-1252 has and ISO-8859-1 lacks (’ – Œ €), and accented letters. */
const TITLE = 'Compte rendu d’échographie – « Œdème » – 15 €';

let world: World;
beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world?.stop();
});

function report(extension: string, encoding: CdaSpec['encoding']): Buffer {
  return buildCda({ typeCode: '11490-0', title: TITLE, id: { root: DOC_ROOT, extension }, encoding, patient: { given: 'Hélène', family: 'MARTIN' } });
}

/** In the doctor's one submission session: these tests are about the documents, not the login. */
function send(to: string, filename: string, content: Buffer, contentType?: string) {
  return trySend(world.session(), {
    from: DOCTOR,
    to,
    subject: `Document ${filename}`,
    text: 'Veuillez trouver le document ci-joint.',
    attachments: [{ filename, content, ...(contentType ? { contentType } : {}) }],
  });
}

async function recordTitles(): Promise<Map<string, string>> {
  const result = await mssgw(world.box, ['record', 'list', INS.jeanne, '--json']);
  expect(result.code).toBe(0);
  const entries = JSON.parse(result.stdout) as { id: string; title: string }[];
  return new Map(entries.map((entry) => [entry.id, entry.title]));
}

describe('CDA documents in the encodings the CI-SIS meets are accepted and filed', () => {
  it.each([
    ['windows-1252', 'ENC-CP1252', { bytes: 'windows-1252' }],
    ['UTF-16 little-endian with its byte order mark', 'ENC-UTF16LE', { bytes: 'UTF-16LE', bom: true }],
    ['UTF-16 big-endian with its byte order mark', 'ENC-UTF16BE', { bytes: 'UTF-16BE', bom: true }],
  ] as [string, string, CdaSpec['encoding']][])('%s', async (_label, extension, encoding) => {
    const result = await send(JEANNE, `${extension.toLowerCase()}.xml`, report(extension, encoding));
    expect(result.response).toMatch(/^250 /);
    expect((await recordTitles()).get(`${DOC_ROOT}^${extension}`)).toBe(TITLE);
  });
});

describe('a CDA whose bytes are not what it declares is refused', () => {
  it('windows-1252 bytes declared UTF-8, to a citizen: 554 5.6.0 naming the check', async () => {
    const result = await send(JEANNE, 'cr-mislabelled.xml', report('ENC-BAD-1', { bytes: 'windows-1252', declared: 'UTF-8' }));
    expect(result.ok).toBe(false);
    expect(result.response).toMatch(/^554 5\.6\.0 /);
    expect(result.response).toContain('Document refusé : une pièce jointe de santé est invalide / document refused');
    expect(result.response).toContain('cr-mislabelled.xml: the XML declares "UTF-8" but is not valid UTF-8: byte 0x92');
    expect(result.response).toContain('[XML_ENCODING]');
    expect((await recordTitles()).has(`${DOC_ROOT}^ENC-BAD-1`)).toBe(false);
  });

  it('a bogus "CDA" to a professional, sent as plain text under another name: refused too', async () => {
    const bogus = report('ENC-BAD-2', { bytes: 'UTF-16LE', bom: true, declared: 'windows-1252' });
    const result = await send(COLLEAGUE, 'notes.txt', bogus, 'text/plain');
    expect(result.ok).toBe(false);
    expect(result.response).toMatch(/^554 5\.6\.0 /);
    expect(result.response).toContain('notes.txt: the XML starts with a UTF-16 little-endian byte order mark but declares "windows-1252"');
    expect(result.response).toContain('[XML_ENCODING]');
  });
});

describe('a polyglot never reaches a citizen', () => {
  it('a PDF with a zip appended: 554 5.6.0, two formats at once', async () => {
    const zip = await buildZip([{ name: 'evil.html', content: Buffer.from('<script>alert(1)</script>') }]);
    const result = await send(JEANNE, 'resultats.pdf', Buffer.concat([buildPdf(), zip]), 'application/pdf');
    expect(result.ok).toBe(false);
    expect(result.response).toMatch(/^554 5\.6\.0 /);
    expect(result.response).toContain('resultats.pdf: the content is PDF and a zip archive at once');
    expect(result.response).toContain('[ATTACHMENT_FORMAT]');
    // The same PDF without its passenger is delivered.
    expect((await send(JEANNE, 'resultats.pdf', buildPdf(), 'application/pdf')).ok).toBe(true);
  });
});
