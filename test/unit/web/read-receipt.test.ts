/**
 * The read receipt the webmail composes (RFC 8098), read back by mailparser as the doctor's
 * mail client would: a multipart/report of type disposition-notification, a human part in
 * French and English, and the machine part naming the original message, the reader and the
 * disposition. The original's subject is the doctor's text: it must not break the receipt.
 */
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { indexMessage } from '../../../src/mime/indexer.js';
import { composeReceipt, type ReceiptInput } from '../../../src/web/read-receipt.js';

const JEANNE = '184127645108946@patient.mssante.fr';
const DOCTOR = 'dr.house@hopital.mssante.fr';
const NOW = new Date('2025-12-02T09:30:00Z');

const input = (over: Partial<ReceiptInput> = {}, original: Partial<ReceiptInput['original']> = {}): ReceiptInput => ({
  reader: { address: JEANNE, name: null },
  to: DOCTOR,
  original: { messageId: '<resultats-42@hopital.mssante.fr>', subject: 'Vos résultats', date: new Date('2025-12-01T08:00:00Z'), ...original },
  hostname: 'mss.example.test',
  now: NOW,
  ...over,
});

const first = (a: AddressObject | AddressObject[] | undefined) => (Array.isArray(a) ? a[0] : a)?.value[0];

/** the machine-readable part's fields, folded lines joined */
function reportFields(mail: ParsedMail): Record<string, string> {
  const part = mail.attachments.find((a) => a.contentType === 'message/disposition-notification');
  expect(part, 'a message/disposition-notification part').toBeDefined();
  const fields: Record<string, string> = {};
  for (const line of part!.content.toString('utf8').replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) fields[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return fields;
}

/** the header lines of the raw message, unfolded */
function headerLines(raw: Buffer): string[] {
  const text = raw.toString('utf8');
  return text.slice(0, text.indexOf('\r\n\r\n')).split('\r\n');
}

describe('composeReceipt', () => {
  it('is a multipart/report of type disposition-notification, from the reader to the one who asked', async () => {
    const raw = composeReceipt(input());
    const mail = await simpleParser(raw);
    const type = mail.headers.get('content-type') as { value: string; params: Record<string, string> };
    expect(type.value).toBe('multipart/report');
    expect(type.params['report-type']).toBe('disposition-notification');
    expect(first(mail.from)?.address).toBe(JEANNE);
    expect(first(mail.to)?.address).toBe(DOCTOR);
    expect(mail.subject).toBe('Accusé de lecture : Vos résultats');
    expect(mail.messageId).toMatch(/^<[0-9a-f]+\.mdn@mss\.example\.test>$/);
    expect(mail.date?.toISOString()).toBe(NOW.toISOString());
    expect(mail.headers.get('auto-submitted')).toBe('auto-replied');
    // Not a reply: a closed conversation must not stop it, and no thread is continued.
    expect(mail.inReplyTo).toBeUndefined();
    expect(mail.references).toBeUndefined();
  });

  it('names the original message, the reader and the disposition in the machine part (RFC 8098 §3.2)', async () => {
    const fields = reportFields(await simpleParser(composeReceipt(input())));
    expect(fields['original-message-id']).toBe('<resultats-42@hopital.mssante.fr>');
    expect(fields['final-recipient']).toBe(`rfc822; ${JEANNE}`);
    expect(fields['disposition']).toBe('manual-action/MDN-sent-automatically; displayed');
    expect(fields['reporting-ua']).toMatch(/^mss\.example\.test; /);
  });

  it('says in French and English that the message was displayed, and nothing of its content', async () => {
    const mail = await simpleParser(composeReceipt(input({}, { subject: 'Résultats du 1er décembre' })));
    expect(mail.text).toContain('Votre message « Résultats du 1er décembre » a été ouvert par son destinataire le 2 décembre 2025');
    expect(mail.text).toContain('Your message "Résultats du 1er décembre" was displayed by its recipient on Tue, 02 Dec 2025 09:30:00 GMT');
    expect(mail.text).toMatch(/ne dit pas qu’il a été lu/);
  });

  it('leaves Original-Message-ID out when the original had none, and names a message without subject', async () => {
    const mail = await simpleParser(composeReceipt(input({}, { messageId: null, subject: null })));
    expect(reportFields(mail)['original-message-id']).toBeUndefined();
    expect(mail.subject).toBe('Accusé de lecture : (sans objet)');
  });

  it.each([
    ['an accented name', 'Jeanne Dupré'],
    ['a name with quotes and a comma', 'Martin, Jeanne "Jeannette"'],
    ['an accented name with specials', 'Dupré (née Martin), Jeanne'],
    ['a long accented name', 'Marie-Élisabeth Hélène Françoise de La Tour d’Auvergne-Lauraguais épouse Dupré'],
  ])('writes the reader as From: with %s that mail clients read back', async (_label, name) => {
    const raw = composeReceipt(input({ reader: { address: JEANNE, name } }));
    const mail = await simpleParser(raw);
    expect(first(mail.from)).toEqual({ address: JEANNE, name });
    for (const line of headerLines(raw)) expect(line.length).toBeLessThanOrEqual(78);
  });

  it('keeps a subject that holds line breaks (decoded from encoded words) from adding headers', async () => {
    const raw = composeReceipt(input({}, { subject: 'Résultats\r\nBcc: espion@ailleurs.example\r\n\r\nX-Injected: 1' }));
    const mail = await simpleParser(raw);
    expect(mail.headers.has('bcc')).toBe(false);
    expect(mail.headers.has('x-injected')).toBe(false);
    expect(mail.subject).not.toMatch(/[\r\n]/);
    expect(mail.subject).toContain('Bcc: espion@ailleurs.example');
    expect((mail.headers.get('content-type') as { value: string }).value).toBe('multipart/report');
    const plain = composeReceipt(input({}, { subject: 'Plain\r\nBcc: espion@ailleurs.example' }));
    expect((await simpleParser(plain)).headers.has('bcc')).toBe(false);
  });

  it('folds a long subject: no header line over 78 characters, and the subject reads back whole', async () => {
    const subject = `Compte rendu d’hospitalisation — ${'très '.repeat(120)}long`;
    const raw = composeReceipt(input({}, { subject }));
    for (const line of headerLines(raw)) expect(line.length).toBeLessThanOrEqual(78);
    expect((await simpleParser(raw)).subject).toBe(`Accusé de lecture : ${subject}`);
    // The server's own indexer reads it as one message with its two parts.
    const index = indexMessage(raw);
    expect(index.root.subtype).toBe('report');
    expect(index.root.parts?.map((p) => `${p.type}/${p.subtype}`)).toEqual(['text/plain', 'message/disposition-notification']);
  });
});
