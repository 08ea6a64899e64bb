/**
 * Reads a message (mailparser) into what the checks need: the headers the rules look at and the
 * decoded attachments. It reads the body as it streams in, beside the copy going to disk; the
 * raw message is never held in memory, only the decoded attachments, bounded by SIZE.
 */
import type { Readable } from 'node:stream';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { answeredMessageIds, closingOf, normaliseMessageId, type Closing } from '../domain/conversations.js';
import type { Attachment } from '../documents/check.js';

export interface MessageContent {
  messageId?: string;
  subject: string | null;
  date: Date | null;
  from: string[];
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

export async function readContent(message: Readable): Promise<MessageContent> {
  const parsed = await simpleParser(message, {
    skipHtmlToText: true,
    skipTextToHtml: true,
    skipTextLinks: true,
    skipImageLinks: true,
  });
  const attachments: Attachment[] = parsed.attachments.map((a) => ({
    filename: a.filename,
    contentType: a.contentType,
    content: a.content,
  }));
  return {
    messageId: parsed.messageId ? normaliseMessageId(parsed.messageId) : undefined,
    subject: parsed.subject ?? null,
    date: parsed.date ?? null,
    from: addresses(parsed.from),
    replyTo: addresses(parsed.replyTo),
    answers: answeredMessageIds(parsed.inReplyTo, parsed.references),
    closing: closingOf({ mssMes: header(parsed, 'x-mss-mes'), subject: parsed.subject }),
    headers: { codeCda: header(parsed, 'x-mss-codecda'), ins: header(parsed, 'x-mss-ins') },
    attachments,
    attachmentBytes: attachments.reduce((sum, a) => sum + a.content.length, 0),
  };
}
