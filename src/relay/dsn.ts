/**
 * Delivery status notification (RFC 3464) telling a local sender that some recipients at other
 * operators will not get their message: multipart/report with a French-then-English text, the
 * machine-readable message/delivery-status, and the original's headers (never its body, which
 * may hold health documents).
 *
 * Pure: everything it needs comes in `DsnInput`; the worker reads the headers and sends.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { encodeWords, foldLines } from 'nodemailer/lib/mime-funcs';
import { encode as qpEncode, wrap as qpWrap } from 'nodemailer/lib/qp';
import { describeReply, type Reply } from './reply.js';

export interface DsnRecipient {
  recipient: string;
  reply: Reply;
  /** the retry delay ran out: reported with Status 4.4.7 and "abandoned" */
  expired: boolean;
  /** the host that gave the reply, when one did */
  remoteMta?: string | null;
  lastAttempt?: Date | null;
}

export interface DsnInput {
  /** our host name: Reporting-MTA and MAILER-DAEMON's domain */
  hostname: string;
  originalSender: string;
  original: {
    /** the original's header block as stored, without the blank line */
    headers: Buffer;
    subject: string | null;
    messageId: string | null;
    /** when the gateway accepted it */
    arrivalDate: Date;
    envelopeId?: string | null;
  };
  recipients: DsnRecipient[];
  /** how long delivery was tried, for the text about expired recipients */
  expireHours: number;
  date: Date;
  /** fixed in tests; random otherwise */
  messageId?: string;
  boundary?: string;
}

export const MAILER_DAEMON_NAME = 'Système de messagerie';

/** Status field: the reply's own permanent code when it has one; 4.4.7 when the delay ran out. */
export function dsnStatus(recipient: Pick<DsnRecipient, 'reply' | 'expired'>): string {
  if (recipient.expired) return '4.4.7';
  const enhanced = recipient.reply.enhanced;
  return enhanced?.startsWith('5.') ? enhanced : '5.0.0';
}

/** RFC 5322 date in UTC. */
export function mailDate(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

/** message/delivery-status is 7-bit text: accents dropped, anything else non-ASCII replaced. */
function ascii(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]/g, '?');
}

function header(name: string, value: string): string {
  return foldLines(`${name}: ${value}`, 76);
}

function diagnosticCode(reply: Reply): string {
  // "smtp" is for what an SMTP server answered; our own failures get an X- type (RFC 3464 §2.3.6).
  const type = reply.code !== null ? 'smtp' : 'X-mss-gateway';
  return ascii(`${type}; ${describeReply(reply)}`).slice(0, 900);
}

function reasonFr(r: DsnRecipient, hours: number): string {
  const reply = describeReply(r.reply);
  if (r.expired) return `Remise abandonnée après ${hours} heures d'essais sans succès. Dernière erreur : ${reply}`;
  if (r.reply.code !== null) return `Refusé par le serveur destinataire${r.remoteMta ? ` ${r.remoteMta}` : ''} : ${reply}`;
  return `Non remis : ${reply}`;
}

function reasonEn(r: DsnRecipient, hours: number): string {
  const reply = describeReply(r.reply);
  if (r.expired) return `Delivery abandoned after ${hours} hours of unsuccessful attempts. Last error: ${reply}`;
  if (r.reply.code !== null) return `Refused by the receiving server${r.remoteMta ? ` ${r.remoteMta}` : ''}: ${reply}`;
  return `Not delivered: ${reply}`;
}

function humanText(input: DsnInput): string {
  const hours = input.expireHours;
  const subject = input.original.subject ?? '';
  const list = (reason: (r: DsnRecipient, h: number) => string): string[] =>
    input.recipients.flatMap((r) => [`  - ${r.recipient}`, `    ${reason(r, hours)}`]);
  return [
    `Ceci est un message automatique du système de messagerie ${input.hostname}.`,
    '',
    `Votre message${subject ? ` « ${subject} »` : ''} n'a pas pu être remis aux destinataires suivants :`,
    '',
    ...list(reasonFr),
    '',
    "Les autres destinataires de ce message ne sont pas concernés par cet avis. Les en-têtes du message d'origine sont joints.",
    '',
    '----------------------------------------------------------------------',
    '',
    `This is an automatic message from the mail system of ${input.hostname}.`,
    '',
    `Your message${subject ? ` "${subject}"` : ''} could not be delivered to the following recipients:`,
    '',
    ...list(reasonEn),
    '',
    'Other recipients of this message are not affected by this notice. The headers of the original message are attached.',
    '',
  ].join('\r\n');
}

function deliveryStatus(input: DsnInput): string {
  const perMessage = [
    `Reporting-MTA: dns; ${input.hostname}`,
    ...(input.original.envelopeId ? [`Original-Envelope-Id: ${ascii(input.original.envelopeId)}`] : []),
    `Arrival-Date: ${mailDate(input.original.arrivalDate)}`,
  ];
  const perRecipient = input.recipients.map((r) =>
    [
      `Final-Recipient: rfc822; ${ascii(r.recipient)}`,
      'Action: failed',
      `Status: ${dsnStatus(r)}`,
      ...(r.remoteMta ? [`Remote-MTA: dns; ${ascii(r.remoteMta)}`] : []),
      header('Diagnostic-Code', diagnosticCode(r.reply)),
      ...(r.lastAttempt ? [`Last-Attempt-Date: ${mailDate(r.lastAttempt)}`] : []),
    ].join('\r\n'),
  );
  return [perMessage.join('\r\n'), ...perRecipient].join('\r\n\r\n') + '\r\n';
}

function crlf(data: Buffer): Buffer {
  return Buffer.from(data.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
}

export function buildDsn(input: DsnInput): Buffer {
  const boundary = input.boundary ?? `=_mss-dsn-${randomBytes(12).toString('hex')}`;
  const messageId = input.messageId ?? `<${randomUUID()}@${input.hostname}>`;
  const subject = `Non remis / Undelivered: ${input.original.subject ?? '(sans objet / no subject)'}`;
  const originalId = input.original.messageId;
  const headers = crlf(input.original.headers);
  // The original headers may carry raw UTF-8 (SMTPUTF8); say so rather than pretend 7bit.
  const headersEncoding = headers.some((byte) => byte > 0x7f) ? '8bit' : '7bit';

  const top = [
    header('From', `${encodeWords(MAILER_DAEMON_NAME, 'Q', 52)} <MAILER-DAEMON@${input.hostname}>`),
    header('To', `<${input.originalSender}>`),
    header('Subject', encodeWords(subject, 'Q', 52)),
    `Date: ${mailDate(input.date)}`,
    `Message-ID: ${messageId}`,
    ...(originalId ? [header('In-Reply-To', originalId), header('References', originalId)] : []),
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status;\r\n boundary="${boundary}"`,
  ];
  const text = [
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    'Content-Description: Notification',
    '',
    qpWrap(qpEncode(Buffer.from(humanText(input), 'utf8')), 76),
    '',
    `--${boundary}`,
    'Content-Type: message/delivery-status',
    'Content-Description: Delivery report',
    '',
    deliveryStatus(input),
    `--${boundary}`,
    'Content-Type: text/rfc822-headers',
    `Content-Transfer-Encoding: ${headersEncoding}`,
    'Content-Description: Undelivered message headers',
    '',
    '',
  ].join('\r\n');
  return Buffer.concat([
    Buffer.from(`${top.join('\r\n')}\r\n\r\nThis is a MIME-encapsulated delivery status notification.\r\n\r\n${text}`, 'utf8'),
    headers,
    Buffer.from(`\r\n\r\n--${boundary}--\r\n`, 'utf8'),
  ]);
}
