/**
 * Reads a message (mailparser) into what the checks need: the headers the rules look at and the
 * decoded attachments. It reads the body as it streams in, beside the copy going to disk; the
 * raw message is never held in memory, only the decoded attachments, bounded by SIZE. The
 * attachments the checks see come from parts.ts, which finds every part a document can sit in
 * (forwarded messages, inline parts, uuencoded files), not only what a mail reader lists.
 */
import { PassThrough, type Readable } from 'node:stream';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { answeredMessageIds, closingOf, normaliseMessageId, type Closing } from '../domain/conversations.js';
import type { Attachment } from '../documents/check.js';
import { readParts } from './parts.js';

export interface MessageContent {
  messageId?: string;
  subject: string | null;
  date: Date | null;
  from: string[];
  /** how many From: fields the top-level header has, the obsolete `From :` included */
  fromFields: number;
  replyTo: string[];
  /** message ids this message answers, nearest first */
  answers: string[];
  closing?: Closing;
  headers: { codeCda?: string; ins?: string };
  attachments: Attachment[];
  attachmentBytes: number;
}

function addresses(value: AddressObject | AddressObject[] | undefined): string[] {
  const list = Array.isArray(value) ? value : value ? [value] : [];
  return list.flatMap((group) => group.value.flatMap((a) => (a.group ? a.group : [a]))).flatMap((a) => (a.address ? [a.address.toLowerCase()] : []));
}

function header(parsed: ParsedMail, name: string): string | undefined {
  const value = parsed.headers.get(name);
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : String(value);
}

/** One stream read by two readers at its pace; if it fails or stops early, both are told. */
function tee(message: Readable): [PassThrough, PassThrough] {
  const copies: [PassThrough, PassThrough] = [new PassThrough(), new PassThrough()];
  for (const copy of copies) message.pipe(copy);
  message.once('error', (error) => copies.forEach((copy) => copy.destroy(error)));
  message.once('close', () => {
    if (!message.readableEnded) copies.forEach((copy) => copy.destroy(new Error('the message stream closed before its end')));
  });
  return copies;
}

export async function readContent(message: Readable): Promise<MessageContent> {
  const [toParser, toParts] = tee(message);
  const [parsed, parts] = await Promise.all([
    simpleParser(toParser, {
      skipHtmlToText: true,
      skipTextToHtml: true,
      skipTextLinks: true,
      skipImageLinks: true,
    }),
    readParts(toParts),
  ]);
  const attachments: Attachment[] = parts.attachments;
  return {
    messageId: parsed.messageId ? normaliseMessageId(parsed.messageId) : undefined,
    subject: parsed.subject ?? null,
    date: parsed.date ?? null,
    from: addresses(parsed.from),
    // mailparser keys header lines by the name before the colon, trimmed: `From :` is "from".
    fromFields: parsed.headerLines.filter((line) => line.key === 'from').length,
    replyTo: addresses(parsed.replyTo),
    answers: answeredMessageIds(parsed.inReplyTo, parsed.references),
    closing: closingOf({ mssMes: header(parsed, 'x-mss-mes'), subject: parsed.subject }),
    headers: { codeCda: header(parsed, 'x-mss-codecda'), ins: header(parsed, 'x-mss-ins') },
    attachments,
    attachmentBytes: parts.attachmentBytes,
  };
}
