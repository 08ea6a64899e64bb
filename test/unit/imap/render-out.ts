/**
 * ImapOut as the client receives it, compiled by the server's own writer (protocol/writer.ts),
 * streamed values read in full: the FETCH unit tests compare these bytes, shown as latin1 text
 * (one character per byte).
 */
import { compile } from '../../../src/imap/protocol/writer.js';
import type { ImapOut } from '../../../src/imap/protocol/values.js';

/** `utf8Accept`: the session enabled UTF8=ACCEPT */
export async function render(out: ImapOut, utf8Accept = false): Promise<string> {
  const chunks: Buffer[] = [];
  for (const part of compile([out], utf8Accept)) {
    if (Buffer.isBuffer(part)) {
      chunks.push(part);
      continue;
    }
    const read: Buffer[] = [];
    for await (const chunk of part.open()) read.push(Buffer.from(chunk as Buffer));
    const bytes = Buffer.concat(read);
    if (bytes.length !== part.length) throw new Error(`stream gave ${bytes.length} bytes, announced ${part.length}`);
    chunks.push(bytes);
  }
  return Buffer.concat(chunks).toString('latin1');
}

/** Latin-1 text of UTF-8 source text: how `render` shows 8-bit bytes. */
export const utf8 = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');
