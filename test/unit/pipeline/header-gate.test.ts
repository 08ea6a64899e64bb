/**
 * The header gate: bytes pass unchanged whatever the chunking, missing fields are added at the
 * header's end (and only there), and a header over a limit is caught at once, the rest drained.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { HeaderGate, type HeaderLimits, type MissingField } from '../../../src/pipeline/header-gate.js';

const LIMITS: HeaderLimits = { maxBytes: 1024, maxLineBytes: 200 };
const DATE: MissingField = { name: 'Date', value: () => 'Tue, 02 Dec 2025 10:00:00 +0000' };
const ID: MissingField = { name: 'Message-ID', value: () => '<q1@localhost>' };

/** Runs `input` through a gate in chunks of `size` bytes; the output and the gate. */
async function through(input: string | Buffer, size: number, complete: MissingField[] = [], limits = LIMITS) {
  const bytes = Buffer.from(input);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  const gate = new HeaderGate(limits, complete);
  const out: Buffer[] = [];
  gate.on('data', (d: Buffer) => out.push(d));
  const ended = new Promise((resolve) => gate.on('end', resolve));
  Readable.from(chunks).pipe(gate);
  await ended;
  return { text: Buffer.concat(out).toString('latin1'), gate };
}

const MESSAGE = 'From: a@b.fr\r\nSubject: essai\r\n folded\r\n\r\nDate: in the body\r\nbody\r\n';

describe('header gate', () => {
  it('passes every byte unchanged under any chunking when nothing is to be added', async () => {
    for (const size of [1, 2, 3, 7, 64, 4096]) {
      expect((await through(MESSAGE, size)).text, `chunks of ${size}`).toBe(MESSAGE);
      const own = `Date: x\r\nmessage-id : <a@b>\r\n${MESSAGE}`;
      expect((await through(own, size, [DATE, ID])).text, `chunks of ${size}`).toBe(own);
    }
  });

  it('adds what the header lacks at its end, before the empty line, whatever the chunking', async () => {
    const expected = 'From: a@b.fr\r\nSubject: essai\r\n folded\r\nDate: Tue, 02 Dec 2025 10:00:00 +0000\r\nMessage-ID: <q1@localhost>\r\n\r\nDate: in the body\r\nbody\r\n';
    for (const size of [1, 2, 5, 13, 4096]) expect((await through(MESSAGE, size, [DATE, ID])).text, `chunks of ${size}`).toBe(expected);
  });

  it('reads field names the way clients do: any case, white space before the colon', async () => {
    const { text } = await through('DATE : Mon, 01 Dec 2025 10:00:00 +0100\nSubject: x\n\nbody\n', 3, [DATE, ID]);
    expect(text).toBe('DATE : Mon, 01 Dec 2025 10:00:00 +0100\nSubject: x\nMessage-ID: <q1@localhost>\r\n\nbody\n');
  });

  it('completes a message that is all header, with or without a last line end', async () => {
    expect((await through('Subject: x', 4, [ID])).text).toBe('Subject: x\r\nMessage-ID: <q1@localhost>\r\n');
    expect((await through('Subject: x\r\n', 4, [ID])).text).toBe('Subject: x\r\nMessage-ID: <q1@localhost>\r\n');
    expect((await through('\r\nno header at all\r\n', 4, [ID])).text).toBe('Message-ID: <q1@localhost>\r\n\r\nno header at all\r\n');
  });

  it('stops passing bytes on at a header over the block limit, and drains the rest', async () => {
    const header = 'X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n'.repeat(100);
    const { text, gate } = await through(`${header}\r\n${'body\r\n'.repeat(10_000)}`, 100, [ID]);
    expect(gate.problem).toMatchObject({ what: 'block', limit: 1024, message: 'the header has more than 1024 bytes' });
    expect(text).toBe('');
  });

  it('catches one line over the line limit, even split in many chunks', async () => {
    const { text, gate } = await through(`Subject: ok\r\nX-Long: ${'b'.repeat(300)}\r\n\r\nbody\r\n`, 7);
    expect(gate.problem).toMatchObject({ what: 'line', limit: 200 });
    expect(text).toBe('');
    // A long line of the body is not the header's business.
    const body = await through(`Subject: ok\r\n\r\n${'c'.repeat(5000)}\r\n`, 7);
    expect(body.gate.problem).toBeUndefined();
  });
});
