/**
 * The writer's body path (FETCH BODY[] of stored messages): bytes read straight into pooled
 * output buffers, with the responses around them, over a real TCP socket on loopback.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ResponseWriter, OUT_BYTES, pooledBuffers } from '../../../src/imap/protocol/writer.js';
import { atom, list, num, type ImapOut, type RangeReader } from '../../../src/imap/protocol/values.js';

/** a server-side socket and everything its peer receives */
async function socketPair(): Promise<{ server: Socket; received: () => Buffer; closeClient: () => void; stop: () => Promise<void> }> {
  let listener: Server | undefined;
  let client: Socket | undefined;
  const chunks: Buffer[] = [];
  const server = await new Promise<Socket>((resolve) => {
    listener = createServer((s) => resolve(s));
    listener.listen(0, '127.0.0.1', () => {
      const address = listener!.address() as { port: number };
      client = connect(address.port, '127.0.0.1');
      client.on('data', (d: Buffer) => chunks.push(d));
      client.on('error', () => undefined);
    });
  });
  server.on('error', () => undefined);
  return {
    server,
    received: () => Buffer.concat(chunks),
    closeClient: () => client!.destroy(),
    stop: async () => {
      client!.destroy();
      server.destroy();
      await new Promise<void>((r) => listener!.close(() => r()));
    },
  };
}

/** a stored body as the writer sees it; `open` (the Readable fallback) must not be used */
function stored(bytes: Buffer, options: { failAt?: number; shortBy?: number } = {}): ImapOut {
  const reader = async (): Promise<RangeReader> => ({
    async read(into, offset, length, position) {
      if (options.failAt !== undefined && position >= options.failAt) throw new Error('disk gone');
      // A read stops where the failure is: the next one, from there, fails.
      const end = Math.min(bytes.length - (options.shortBy ?? 0), options.failAt ?? Infinity);
      const n = Math.max(0, Math.min(length, end - position));
      bytes.copy(into, offset, position, position + n);
      return n;
    },
    async close() {},
  });
  return {
    t: 'stream',
    length: bytes.length,
    open: () => {
      throw new Error('the reader path should have been taken');
    },
    reader,
  };
}

function body(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = 0x21 + ((i * 7 + seed) % 90);
  return b;
}

/** byte-equal; on a difference, says where (without printing megabytes) */
function same(got: Buffer, expected: string): true | string {
  const want = Buffer.from(expected, 'latin1');
  if (got.equals(want)) return true;
  let i = 0;
  while (i < got.length && got[i] === want[i]) i++;
  return `differs at byte ${i} of ${want.length} (got ${got.length}): ${JSON.stringify(got.subarray(Math.max(0, i - 20), i + 20).toString('latin1'))}`;
}

const until = async (check: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('stored bodies through the output buffers', () => {
  const stops: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
  });

  it('sends many bodies byte-exact, in order, several to a socket write', async () => {
    const pair = await socketPair();
    stops.push(pair.stop);
    let writes = 0;
    const write = pair.server.write.bind(pair.server);
    pair.server.write = ((...args: Parameters<Socket['write']>) => (writes++, write(...args))) as Socket['write'];
    const w = new ResponseWriter(pair.server);

    const bodies = Array.from({ length: 300 }, (_, i) => body(i % 50 === 7 ? 700_000 : 5_000 + ((i * 331) % 15_000), i));
    let expected = '';
    bodies.forEach((b, i) => {
      w.untagged([num(i + 1), atom('FETCH'), list([atom('UID'), num(i + 1), atom('BODY[]'), stored(b)])]);
      expected += `* ${i + 1} FETCH (UID ${i + 1} BODY[] {${b.length}}\r\n${b.toString('latin1')})\r\n`;
      if (i === 150) {
        w.continuation('between');
        expected += '+ between\r\n';
      }
    });
    w.tagged('a1', 'OK', 'FETCH completed');
    expected += 'a1 OK FETCH completed\r\n';
    await w.drain();
    await until(() => pair.received().length >= expected.length);

    expect(same(pair.received(), expected)).toBe(true);
    // One write per full output buffer (and the last, partly filled), not one per message.
    expect(writes).toBeLessThanOrEqual(Math.ceil(expected.length / OUT_BYTES) + 2);
    // The buffers came back once written: the next command reuses them.
    expect(pooledBuffers().length).toBeGreaterThan(0);
  });

  it('pads a body that ends early or fails to its announced length, and says so', async () => {
    const pair = await socketPair();
    stops.push(pair.stop);
    const w = new ResponseWriter(pair.server);
    const errors: unknown[] = [];
    w.onStreamError = (err) => errors.push(err);
    const a = body(10_000, 1);
    const b = body(400_000, 2);
    w.untagged([num(1), atom('FETCH'), list([atom('BODY[]'), stored(a, { shortBy: 1000 })])]);
    w.untagged([num(2), atom('FETCH'), list([atom('BODY[]'), stored(b, { failAt: 300_000 })])]);
    w.tagged('a', 'OK', 'done');
    await w.drain();
    const expected =
      `* 1 FETCH (BODY[] {10000}\r\n${a.subarray(0, 9000).toString('latin1')}${' '.repeat(1000)})\r\n` +
      `* 2 FETCH (BODY[] {400000}\r\n${b.subarray(0, 300_000).toString('latin1')}${' '.repeat(100_000)})\r\n` +
      'a OK done\r\n';
    await until(() => pair.received().length >= expected.length);
    expect(same(pair.received(), expected)).toBe(true);
    expect(errors).toHaveLength(1);
  });

  it('never pools a buffer a read was still filling when the connection closed', async () => {
    const pair = await socketPair();
    stops.push(pair.stop);
    const w = new ResponseWriter(pair.server);
    let held: Buffer | undefined;
    let release: (() => void) | undefined;
    const slow: ImapOut = {
      t: 'stream',
      length: 100_000,
      open: () => {
        throw new Error('unused');
      },
      reader: async () => ({
        read: (into, offset, length) =>
          new Promise<number>((resolve) => {
            held = into;
            // The disk answers only after the client has gone: the bytes land in `into`.
            release = () => resolve(into.fill(0x58, offset, offset + length) && length);
          }),
        close: async () => {},
      }),
    };
    w.untagged([num(1), atom('FETCH'), list([atom('BODY[]'), slow])]);
    const drained = w.drain().catch((err: unknown) => err);
    await until(() => release !== undefined);
    pair.closeClient();
    pair.server.destroy();
    await until(() => pair.server.destroyed);
    w.close();
    release!();
    expect(await drained).toBeInstanceOf(Error);
    await new Promise((r) => setTimeout(r, 20));
    // Another session taking this buffer from the pool would send what this read put there.
    expect(pooledBuffers().includes(held!)).toBe(false);
  });
});
