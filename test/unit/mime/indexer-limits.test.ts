/** The indexer's limit on header fields, on every header block, whatever the chunking. */
import { describe, expect, it } from 'vitest';
import { MimeIndexer, indexMessage } from '../../../src/mime/indexer.js';

describe('header field limit', () => {
  it('counts fields, not folded lines, in the message header and in a part header', () => {
    const folded = `Subject: a\r\n${' more\r\n'.repeat(50)}From: x@y.fr\r\n\r\nbody\r\n`;
    expect(indexMessage(Buffer.from(folded), { maxHeaderFields: 2 }).root.bodyStart).toBeGreaterThan(0);
    const part = `Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n${'X-A: 1\r\n'.repeat(6)}\r\nx\r\n--b--\r\n`;
    expect(() => indexMessage(Buffer.from(part), { maxHeaderFields: 5 })).toThrow(/more than 5 header fields/);
  });

  it('stops at the limit however the bytes arrive', () => {
    const message = Buffer.from(`${'X-N: 1\r\n'.repeat(11)}\r\nbody\r\n`);
    for (const size of [1, 3, 8, 4096]) {
      const indexer = new MimeIndexer({ maxHeaderFields: 10 });
      for (let i = 0; i < message.length; i += size) indexer.write(message.subarray(i, i + size));
      expect(indexer.error?.check, `chunks of ${size}`).toBe('MIME_HEADER_FIELDS');
    }
  });
});
