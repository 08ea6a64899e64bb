import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readHeaderBlock, readOriginalHeaders } from '../../../src/relay/original-headers.js';

const chunks = (...parts: string[]) => Readable.from(parts.map((p) => Buffer.from(p)));

describe('original headers', () => {
  it('stops at the blank line, whatever the chunking and line endings', async () => {
    expect((await readHeaderBlock(chunks('Subject: a\r\nFrom: b@c.test\r', '\n\r\nsecret body'))).toString()).toBe('Subject: a\r\nFrom: b@c.test');
    expect((await readHeaderBlock(chunks('Subject: a\n\nsecret body'))).toString()).toBe('Subject: a');
    expect((await readHeaderBlock(chunks('Subject: only headers\r\n'))).toString()).toBe('Subject: only headers\r\n');
  });

  it('keeps whole lines of an oversized header block', async () => {
    const block = await readHeaderBlock(chunks(`X-A: ${'a'.repeat(50)}\r\nX-B: ${'b'.repeat(50)}\r\n`), 80);
    expect(block.toString()).toBe(`X-A: ${'a'.repeat(50)}\r\n`);
  });

  it('decodes the subject and Message-ID for the DSN', async () => {
    const original = await readOriginalHeaders(chunks('Subject: =?UTF-8?Q?R=C3=A9sultats?=\r\nMessage-ID: <m@x.test>\r\n\r\nbody'));
    expect(original).toMatchObject({ subject: 'Résultats', messageId: '<m@x.test>' });
  });
});
