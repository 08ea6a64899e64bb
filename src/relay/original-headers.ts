/**
 * The header block of a stored message, for the DSN's text/rfc822-headers part: read from the
 * start of the file up to the blank line, never the body (which may be megabytes of documents
 * about someone's health, and which the DSN must not carry).
 */
import type { Readable } from 'node:stream';
import { simpleParser } from 'mailparser';

export interface OriginalHeaders {
  block: Buffer;
  subject: string | null;
  messageId: string | null;
}

const LIMIT = 64 * 1024;

/** Where the header block ends (before its blank line), or -1 when not found yet. */
function headerEnd(data: Buffer): number {
  const crlf = data.indexOf('\r\n\r\n');
  const lf = data.indexOf('\n\n');
  if (crlf < 0) return lf;
  if (lf < 0) return crlf;
  return Math.min(crlf, lf);
}

export async function readHeaderBlock(stream: Readable, limit = LIMIT): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      length += (chunk as Buffer).length;
      const data = Buffer.concat(chunks);
      const end = headerEnd(data);
      if (end >= 0) return data.subarray(0, end);
      if (length >= limit) {
        // Oversized headers: keep whole lines only.
        const cut = data.subarray(0, limit);
        return cut.subarray(0, cut.lastIndexOf('\n') + 1);
      }
    }
    return Buffer.concat(chunks); // a message with no body at all
  } finally {
    stream.destroy();
  }
}

/** The header block with its subject and Message-ID decoded (RFC 2047) for the DSN's own headers. */
export async function readOriginalHeaders(stream: Readable): Promise<OriginalHeaders> {
  const block = await readHeaderBlock(stream);
  const parsed = await simpleParser(Buffer.concat([block, Buffer.from('\r\n\r\n')]));
  return { block, subject: parsed.subject ?? null, messageId: parsed.messageId ?? null };
}
