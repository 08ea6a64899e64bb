import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { buildDsn, dsnStatus, type DsnInput } from '../../../src/relay/dsn.js';
import { localReply, parseReply } from '../../../src/relay/reply.js';

const ORIGINAL_HEADERS = [
  'From: Dr Martin <dr@local.test>',
  'To: x@peer.test, y@peer.test',
  'Subject: =?UTF-8?Q?R=C3=A9sultats_d=27analyse?=',
  'Message-ID: <orig-1@local.test>',
  'Date: Wed, 01 Jan 2025 10:00:00 +0000',
].join('\n');

function input(overrides: Partial<DsnInput> = {}): DsnInput {
  return {
    hostname: 'mss.local.test',
    originalSender: 'dr@local.test',
    original: {
      headers: Buffer.from(ORIGINAL_HEADERS),
      subject: "Résultats d'analyse",
      messageId: '<orig-1@local.test>',
      arrivalDate: new Date('2025-01-01T10:00:00Z'),
      envelopeId: 'env-42',
    },
    recipients: [
      {
        recipient: 'x@peer.test',
        reply: parseReply('550 5.1.1 Destinataire inconnu / unknown recipient'),
        expired: false,
        remoteMta: 'mx.peer.test',
        lastAttempt: new Date('2025-01-01T10:01:00Z'),
      },
      { recipient: 'y@peer.test', reply: localReply('4.4.1', 'connection refused'), expired: true },
    ],
    expireHours: 120,
    date: new Date('2025-01-06T10:00:00Z'),
    ...overrides,
  };
}

/** The MIME parts of a multipart body, by hand: each part's headers and body. */
function parts(raw: string): Array<{ headers: string; body: string }> {
  const boundary = /boundary="([^"]+)"/.exec(raw)![1]!;
  const sections = raw.split(`--${boundary}`).slice(1, -1);
  return sections.map((section) => {
    const text = section.replace(/^\r\n/, '');
    const end = text.indexOf('\r\n\r\n');
    return { headers: text.slice(0, end), body: text.slice(end + 4) };
  });
}

/** message/delivery-status: groups of "Field: value" separated by blank lines. */
function statusGroups(body: string): Array<Record<string, string>> {
  return body
    .trim()
    .split(/\r\n\r\n/)
    .map((group) =>
      Object.fromEntries(
        group
          .replace(/\r\n[ \t]+/g, ' ')
          .split('\r\n')
          .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]),
      ),
    );
}

describe('delivery status notification', () => {
  it('is a multipart/report with text, delivery-status and the original headers, in that order', async () => {
    const raw = buildDsn(input());
    const mail = await simpleParser(raw);
    const type = mail.headers.get('content-type') as { value: string; params: Record<string, string> };
    expect(type.value).toBe('multipart/report');
    expect(type.params['report-type']).toBe('delivery-status');

    const found = parts(raw.toString('utf8'));
    expect(found.map((p) => /Content-Type: ([^;\r\n]+)/.exec(p.headers)![1])).toEqual([
      'text/plain',
      'message/delivery-status',
      'text/rfc822-headers',
    ]);
    // Every line within the limits of RFC 5322.
    expect(raw.toString('utf8').split('\r\n').every((line) => Buffer.byteLength(line) <= 998)).toBe(true);
  });

  it('comes from MAILER-DAEMON, goes to the original sender, and says so in its subject', async () => {
    const mail = await simpleParser(buildDsn(input()));
    expect(mail.from?.value[0]).toEqual({ address: 'MAILER-DAEMON@mss.local.test', name: 'Système de messagerie' });
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.value[0]?.address : undefined).toBe('dr@local.test');
    expect(mail.subject).toBe("Non remis / Undelivered: Résultats d'analyse");
    expect(mail.headers.get('auto-submitted')).toBe('auto-replied');
    expect(mail.messageId).toMatch(/^<.+@mss\.local\.test>$/);
    expect(mail.inReplyTo).toBe('<orig-1@local.test>');
    expect(mail.date?.toISOString()).toBe('2025-01-06T10:00:00.000Z');
    expect(mail.headers.get('mime-version')).toBe('1.0');
  });

  it('explains in French then English which recipients failed and why', async () => {
    const mail = await simpleParser(buildDsn(input()));
    const text = mail.text ?? '';
    const french = text.indexOf("n'a pas pu être remis");
    const english = text.indexOf('could not be delivered');
    expect(french).toBeGreaterThanOrEqual(0);
    expect(english).toBeGreaterThan(french);
    expect(text).toContain('x@peer.test');
    expect(text).toContain('550 5.1.1 Destinataire inconnu / unknown recipient');
    expect(text).toContain('Remise abandonnée après 120 heures');
    expect(text).toContain('Delivery abandoned after 120 hours');
  });

  it('reports each recipient in message/delivery-status', () => {
    const [, status] = parts(buildDsn(input()).toString('utf8'));
    const [message, x, y] = statusGroups(status!.body);
    expect(message).toEqual({
      'Reporting-MTA': 'dns; mss.local.test',
      'Original-Envelope-Id': 'env-42',
      'Arrival-Date': 'Wed, 01 Jan 2025 10:00:00 +0000',
    });
    expect(x).toEqual({
      'Final-Recipient': 'rfc822; x@peer.test',
      Action: 'failed',
      Status: '5.1.1',
      'Remote-MTA': 'dns; mx.peer.test',
      'Diagnostic-Code': 'smtp; 550 5.1.1 Destinataire inconnu / unknown recipient',
      'Last-Attempt-Date': 'Wed, 01 Jan 2025 10:01:00 +0000',
    });
    expect(y).toMatchObject({ 'Final-Recipient': 'rfc822; y@peer.test', Action: 'failed', Status: '4.4.7' });
    expect(y!['Diagnostic-Code']).toContain('connection refused');
  });

  it('keeps the delivery-status part 7-bit even when the reply was not', () => {
    const reply = parseReply('550 5.7.1 Envoi refusé : un usager ne peut écrire qu’à un professionnel');
    const [, status] = parts(buildDsn(input({ recipients: [{ recipient: 'x@peer.test', reply, expired: false }] })).toString('utf8'));
    expect(/^[\x00-\x7f]*$/.test(status!.body)).toBe(true);
    expect(status!.body).toContain('Envoi refuse : un usager ne peut ecrire');
  });

  it('carries the original header block, not the body', async () => {
    const mail = await simpleParser(buildDsn(input()));
    const headers = mail.attachments.find((a) => a.contentType === 'text/rfc822-headers');
    expect(headers?.content.toString()).toContain('Message-ID: <orig-1@local.test>');
    expect(headers?.content.toString()).toContain('Subject: =?UTF-8?Q?R=C3=A9sultats_d=27analyse?=');
  });

  it('copes with a message that had no subject', async () => {
    const mail = await simpleParser(buildDsn(input({ original: { ...input().original, subject: null, messageId: null } })));
    expect(mail.subject).toBe('Non remis / Undelivered: (sans objet / no subject)');
    expect(mail.inReplyTo).toBeUndefined();
  });

  it('takes the status from the enhanced code, else 5.0.0; 4.4.7 when the delay ran out', () => {
    expect(dsnStatus({ reply: parseReply('550 5.7.1 no'), expired: false })).toBe('5.7.1');
    expect(dsnStatus({ reply: parseReply('554 no'), expired: false })).toBe('5.0.0');
    expect(dsnStatus({ reply: parseReply('451 4.3.0 later'), expired: true })).toBe('4.4.7');
  });
});
