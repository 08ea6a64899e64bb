import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConnectionClosed, ResponseWriter, asciiText, compile } from '../../../src/imap/protocol/writer.js';
import { NIL, atom, list, num, nstring, str } from '../../../src/imap/protocol/values.js';

/** a socket stand-in that keeps what is written; slow ones make the writer wait for 'drain' */
function sink(options: { highWaterMark?: number; delayMs?: number } = {}) {
  const chunks: Buffer[] = [];
  let writes = 0;
  const socket = new Writable({
    highWaterMark: options.highWaterMark ?? 16 * 1024,
    write(chunk: Buffer, _enc, done) {
      writes++;
      chunks.push(chunk);
      if (options.delayMs) setTimeout(done, options.delayMs);
      else done();
    },
  });
  return { socket, text: () => Buffer.concat(chunks).toString('latin1'), bytes: () => Buffer.concat(chunks), writes: () => writes };
}

/** a socket that takes a write only when told to: each write's callback waits in `pending` */
function heldSocket() {
  const pending: Array<() => void> = [];
  const socket = new Writable({
    highWaterMark: 1024,
    write(_chunk, _enc, done) {
      pending.push(done);
    },
  });
  return { socket, pending };
}

const text = (items: Parameters<typeof compile>[0]) =>
  Buffer.concat(compile(items).map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(`<stream ${p.length}>`)))).toString('latin1');

describe('response compiler', () => {
  it('writes atoms, numbers, NIL and nested lists', () => {
    expect(text([num(12), atom('FETCH'), list([atom('FLAGS'), list([atom('\\Seen'), atom('$Label')]), atom('UID'), num(7), atom('X'), NIL])])).toBe(
      '12 FETCH (FLAGS (\\Seen $Label) UID 7 X NIL)',
    );
    expect(text([list([])])).toBe('()');
  });

  it('quotes short 7-bit strings, escaping " and \\', () => {
    expect(text([str('Hello "you" \\ there')])).toBe('"Hello \\"you\\" \\\\ there"');
    expect(text([str('')])).toBe('""');
    expect(text([nstring(null), nstring('x')])).toBe('NIL "x"');
  });

  it('sends 8-bit, CR, LF, NUL and long strings as literals', () => {
    expect(text([str('café')])).toBe('{5}\r\ncafé'.replace('é', '\xc3\xa9'));
    expect(text([str('a\r\nb')])).toBe('{4}\r\na\r\nb');
    expect(text([str(Buffer.from([0x61, 0]))])).toBe('{2}\r\na\0');
    const long = 'x'.repeat(2000);
    expect(text([str(long)])).toBe(`{2000}\r\n${long}`);
  });

  it('always writes `literal` values as literals, and announces streams by length', () => {
    expect(text([atom('BODY[]'), { t: 'literal', v: Buffer.from('abc') }])).toBe('BODY[] {3}\r\nabc');
    expect(text([atom('BODY[]'), { t: 'stream', length: 9, open: () => Readable.from([]) }])).toBe('BODY[] {9}\r\n<stream 9>');
  });

  it('takes accents off response text and never lets CR or LF through', () => {
    expect(asciiText('Boîte « pleine » : réessayez\r\n* OK injected')).toBe('Boite "pleine" : reessayez * OK injected');
    expect(asciiText('cœur ✓')).toBe('coeur ?');
  });
});

describe('response writer', () => {
  it('writes untagged, continuation and tagged lines in order', async () => {
    const s = sink();
    const w = new ResponseWriter(s.socket);
    w.untagged([num(3), atom('EXISTS')]);
    w.untaggedText('OK [UIDVALIDITY 7] UIDs valides');
    w.continuation();
    w.continuation('idling');
    w.tagged('a1', 'NO', 'Boîte pleine / Mailbox full', 'OVERQUOTA');
    w.tagged('a2', 'OK', 'fait');
    await w.drain();
    expect(s.text()).toBe('* 3 EXISTS\r\n* OK [UIDVALIDITY 7] UIDs valides\r\n+ \r\n+ idling\r\na1 NO [OVERQUOTA] Boite pleine / Mailbox full\r\na2 OK fait\r\n');
  });

  it('joins the small responses of one turn into one write', async () => {
    const s = sink();
    const w = new ResponseWriter(s.socket);
    for (let i = 1; i <= 100; i++) w.untagged([num(i), atom('EXPUNGE')]);
    await w.drain();
    expect(s.writes()).toBe(1);
    expect(s.text().split('\r\n')).toHaveLength(101);
  });

  it('streams a stored value chunk by chunk, whole and in its place', async () => {
    const s = sink();
    const w = new ResponseWriter(s.socket);
    const body = Buffer.alloc(300_000, 0x61);
    let opened = 0;
    w.untagged([num(1), atom('FETCH'), list([atom('BODY[]'), { t: 'stream', length: body.length, open: () => (opened++, Readable.from([body.subarray(0, 100_000), body.subarray(100_000)])) }])]);
    w.continuation('after');
    expect(opened).toBe(0); // opened only when its turn comes
    await w.drain();
    expect(opened).toBe(1);
    expect(s.text()).toBe(`* 1 FETCH (BODY[] {300000}\r\n${body.toString('latin1')})\r\n+ after\r\n`);
  });

  it('pads a stream shorter than announced and cuts a longer one, so the client keeps its place', async () => {
    const s = sink();
    const w = new ResponseWriter(s.socket);
    const errors: unknown[] = [];
    w.onStreamError = (err) => errors.push(err);
    w.untagged([{ t: 'stream', length: 5, open: () => Readable.from([Buffer.from('ab')]) }]);
    w.untagged([{ t: 'stream', length: 2, open: () => Readable.from([Buffer.from('abcdef')]) }]);
    w.untagged([
      {
        t: 'stream',
        length: 4,
        open: () =>
          new Readable({
            read() {
              this.destroy(new Error('disk gone'));
            },
          }),
      },
    ]);
    w.tagged('a', 'OK', 'done');
    await w.drain();
    expect(s.text()).toBe('* {5}\r\nab   \r\n* {2}\r\nab\r\n* {4}\r\n    \r\na OK done\r\n');
    expect(errors).toHaveLength(1);
  });

  it('holds the pump on socket backpressure and drain() waits for it', async () => {
    const s = sink({ highWaterMark: 1024, delayMs: 2 });
    const w = new ResponseWriter(s.socket);
    const big = Buffer.alloc(64 * 1024, 0x62);
    for (let i = 0; i < 20; i++) w.untagged([num(i + 1), atom('FETCH'), list([atom('BODY[]'), { t: 'literal', v: big }])]);
    await w.drain();
    expect(s.bytes().length).toBeGreaterThan(20 * big.length);
    expect(s.socket.writableLength).toBeLessThanOrEqual(1024);
  });

  it('rejects drain() once the connection is closed, and drops later output', async () => {
    const s = sink();
    const w = new ResponseWriter(s.socket);
    w.close();
    await expect(w.drain()).rejects.toBeInstanceOf(ConnectionClosed);
    w.untaggedText('OK ignored');
    await new Promise((r) => setTimeout(r, 5));
    expect(s.text()).toBe('');
  });

  it('counts the bytes queued and not yet handed to the socket', async () => {
    const { socket, pending } = heldSocket();
    const w = new ResponseWriter(socket);
    const body = Buffer.alloc(200_000, 0x61);
    for (let i = 0; i < 3; i++) w.untagged([num(i + 1), atom('FETCH'), list([atom('BODY[]'), { t: 'literal', v: body }])]);
    expect(w.queuedBytes).toBeGreaterThan(3 * body.length);
    const drained = w.drain();
    await new Promise((resolve) => setImmediate(resolve));
    // the first answer went to the socket, which holds it: the rest waits, counted
    expect(w.queuedBytes).toBeGreaterThan(body.length);
    expect(w.queuedBytes).toBeLessThan(3 * body.length);
    while (w.queuedBytes > 0 || pending.length > 0) {
      pending.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await drained;
    expect(w.queuedBytes).toBe(0);
  });

  it('counts streamed bodies in what is owed until their turn, and lets a command wait below a mark', async () => {
    const { socket, pending } = heldSocket();
    const w = new ResponseWriter(socket);
    const body = Buffer.alloc(300_000, 0x62);
    const streamed = () => ({ t: 'stream' as const, length: body.length, open: () => Readable.from([body]) });
    for (let i = 0; i < 3; i++) w.untagged([num(i + 1), atom('FETCH'), list([atom('BODY[]'), streamed()])]);
    // nothing of a stream is in memory, but all three are owed
    expect(w.queuedBytes).toBeLessThan(1024);
    expect(w.pendingBytes).toBeGreaterThan(3 * body.length);
    let room = false;
    const below = w.below(body.length + 1024).then(() => (room = true));
    await new Promise((resolve) => setImmediate(resolve));
    // the first stream is under way, two are still owed
    expect(room).toBe(false);
    while (!room) {
      pending.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await below;
    // the mark is reached as soon as the second body's turn came, not once everything left
    expect(w.pendingBytes).toBeLessThanOrEqual(body.length + 1024);
    expect(w.pendingBytes).toBeGreaterThan(0);
    w.close();
    await expect(w.below(0)).rejects.toBeInstanceOf(ConnectionClosed);
  });

  it('says when the socket has taken nothing for the stall time while output waits', async () => {
    const socket = new Writable({ highWaterMark: 1024, write() {} }); // never takes anything
    const w = new ResponseWriter(socket, undefined, 50);
    const stalled = new Promise<void>((resolve) => (w.onStall = resolve));
    w.untagged([{ t: 'literal', v: Buffer.alloc(100_000) }]);
    await stalled;
    // and not while nothing waits: a fresh writer with nothing to say never stalls
    let quiet = true;
    const idle = new ResponseWriter(new Writable({ write: (_c, _e, done) => done() }), undefined, 10);
    idle.onStall = () => (quiet = false);
    idle.untagged([num(1), atom('EXISTS')]);
    await idle.drain();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(quiet).toBe(true);
  });
});
