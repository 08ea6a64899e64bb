/**
 * The read receipt the webmail sends (RFC 8098): multipart/report with a human part in French
 * and English and the machine-readable message/disposition-notification part. It names the
 * original message by its Message-ID, never by its content.
 */
import { randomBytes } from 'node:crypto';
import libmime from 'libmime';

export interface ReceiptInput {
  reader: { address: string; name: string | null };
  to: string;
  original: { messageId: string | null; subject: string | null; date: Date | null };
  hostname: string;
  now: Date;
}

/**
 * A header's text on one logical line: control characters (a CR LF decoded from an encoded
 * word of the original subject) become spaces, so nothing of the original can start a header
 * of its own here.
 */
const oneLine = (text: string) => text.replace(/[\x00-\x1f\x7f]+/g, ' ');

/**
 * An unstructured header, encoded words where needed and folded under 78 characters a line
 * (RFC 5322 §2.1.1): a long subject made one line of thousands of characters before, over the
 * 998 that mail allows.
 */
const header = (name: string, value: string) => libmime.foldLines(`${name}: ${libmime.encodeWords(oneLine(value), 'Q', 52)}`, 76);

/**
 * `Name <address>`: a plain ASCII name as a quoted string, any other in base64 encoded words
 * (never inside quotes, RFC 2047 §5: the encoded name in quotes made the whole From:
 * unreadable, mailparser found no address in it).
 */
function address(a: { address: string; name: string | null }): string {
  const name = a.name ? oneLine(a.name).trim() : '';
  if (!name) return `<${a.address}>`;
  const phrase = /^[\x20-\x7e]*$/.test(name) ? `"${name.replace(/["\\]/g, '\\$&')}"` : libmime.encodeWord(name, 'B', 52);
  return `${phrase} <${a.address}>`;
}

export function composeReceipt(input: ReceiptInput): Buffer {
  const { reader, to, original, hostname, now } = input;
  const boundary = `mdn-${randomBytes(12).toString('hex')}`;
  const when = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/Paris' }).format(now);
  const subject = oneLine(original.subject ?? '').trim() || '(sans objet)';
  const human = [
    `Votre message « ${subject} » a été ouvert par son destinataire le ${when}.`,
    'Cet accusé indique seulement que le message a été affiché ; il ne dit pas qu’il a été lu ni compris.',
    '',
    `Your message "${subject}" was displayed by its recipient on ${now.toUTCString()}.`,
    'This receipt only says that the message was displayed, not that it was read or understood.',
    '',
  ].join('\r\n');
  const report = [
    `Reporting-UA: ${hostname}; mss-gateway`,
    `Final-Recipient: rfc822; ${reader.address}`,
    ...(original.messageId ? [`Original-Message-ID: ${oneLine(original.messageId).trim()}`] : []),
    // Opened by the person (manual), sent without asking them (the service's promise).
    'Disposition: manual-action/MDN-sent-automatically; displayed',
    '',
  ].join('\r\n');
  const lines = [
    libmime.foldLines(`From: ${address(reader)}`, 76),
    `To: <${to}>`,
    header('Subject', `Accusé de lecture : ${subject}`),
    `Date: ${now.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${randomBytes(12).toString('hex')}.mdn@${hostname}>`,
    // No References: a receipt is not a reply, and a conversation the professional closed
    // must not stop the receipt they asked for (Original-Message-ID names the message).
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=disposition-notification;',
    ` boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    '',
    ...(Buffer.from(human, 'utf8').toString('base64').match(/.{1,76}/g) ?? []),
    `--${boundary}`,
    'Content-Type: message/disposition-notification',
    '',
    report,
    `--${boundary}--`,
    '',
  ];
  return Buffer.from(lines.join('\r\n'), 'utf8');
}
