/**
 * BODY and TEXT searches: the decoded text of a message's text/* parts, read from the byte
 * ranges the MIME index gives (streamed when large), through the transfer and charset decoders
 * and matched as it goes. Nothing else is read — a 9 MB PDF is never touched — and a part stops being read
 * as soon as the string is found.
 */
import { decodeWords, headerText, paramValue, parseHeaderFields } from '../../mime/header.js';
import type { MimeIndex, MimePart } from '../../mime/types.js';
import type { BlobStore } from '../../store/types.js';
import { charsetDecoder, transferDecoder } from './decoders.js';
import { HtmlText } from './html-text.js';
import { contains, StreamMatcher } from './text-match.js';

/** parts up to this size are read at once; larger ones are streamed */
const WHOLE_READ_BYTES = 64 * 1024;

/** The text/* leaves of a structure, nested messages included, in order. */
export function textParts(root: MimePart): MimePart[] {
  const out: MimePart[] = [];
  const walk = (part: MimePart): void => {
    if (part.parts) part.parts.forEach(walk);
    else if (part.message) walk(part.message.root);
    else if (part.type === 'text') out.push(part);
  };
  walk(root);
  return out;
}

/** The roots of the messages inside message/rfc822 parts (their headers are TEXT too). */
export function nestedMessages(root: MimePart): MimePart[] {
  const out: MimePart[] = [];
  const walk = (part: MimePart): void => {
    if (part.parts) part.parts.forEach(walk);
    else if (part.message) {
      out.push(part.message.root);
      walk(part.message.root);
    }
  };
  walk(root);
  return out;
}

export interface DecodedField {
  /** lower-cased */
  name: string;
  /** unfolded, encoded words decoded */
  text: string;
}

/** The fields of a header block, as HEADER compares them. */
export function decodedFields(bytes: Buffer): DecodedField[] {
  return parseHeaderFields(headerText(bytes)).map((f) => ({ name: f.name, text: decodeWords(f.value) }));
}

/** Header fields as one searchable text for TEXT: a `name: value` line per field. */
export function fieldsText(fields: readonly DecodedField[]): string {
  return fields.map((f) => `${f.name}: ${f.text}`).join('\n');
}

/** Whether one text part, decoded, contains the folded needle. */
export async function partContains(blobs: BlobStore, blobId: string, part: MimePart, needle: string): Promise<boolean> {
  if (needle === '') return true;
  if (part.bodyEnd <= part.bodyStart) return false;
  const bytes = transferDecoder(part.encoding);
  const text = charsetDecoder(paramValue(part.params, 'charset'));
  const html = part.subtype === 'html' ? new HtmlText() : undefined;
  const matcher = new StreamMatcher(needle);
  const feed = (piece: string): boolean => matcher.write(html ? html.write(piece) : piece);
  const finish = (): boolean => {
    feed(text.write(bytes.end()));
    feed(text.end());
    if (html) matcher.write(html.end());
    return matcher.matched;
  };
  const range = { start: part.bodyStart, end: part.bodyEnd };
  // A small part in one read: a stream costs more to set up than the part costs to read.
  if (part.bodyEnd - part.bodyStart <= WHOLE_READ_BYTES) {
    return feed(text.write(bytes.write(await blobs.read(blobId, range)))) || finish();
  }
  const stream = blobs.stream(blobId, range);
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (feed(text.write(bytes.write(chunk)))) return true;
    }
    return finish();
  } finally {
    stream.destroy();
  }
}

/**
 * BODY (`withHeaders` false): the text parts. TEXT adds the headers of nested messages; the
 * message's own header is the caller's (it already has it parsed).
 */
export async function bodyContains(blobs: BlobStore, blobId: string, mime: MimeIndex, needle: string, withHeaders: boolean): Promise<boolean> {
  if (needle === '') return true;
  if (withHeaders) {
    for (const nested of nestedMessages(mime.root)) {
      if (nested.bodyStart <= nested.headerStart) continue;
      const bytes = await blobs.read(blobId, { start: nested.headerStart, end: nested.bodyStart });
      if (contains(fieldsText(decodedFields(bytes)), needle)) return true;
    }
  }
  for (const part of textParts(mime.root)) {
    if (await partContains(blobs, blobId, part, needle)) return true;
  }
  return false;
}
