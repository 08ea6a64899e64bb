/**
 * ImapOut → bytes on the socket. The writer alone decides how a value is written (RFC 3501
 * §4.3): a string is quoted when it is short 7-bit text, a literal otherwise; streamed values
 * are piped from storage a chunk at a time, never held whole. Responses leave in the order they
 * were queued, each whole: a continuation never lands inside another response. Small
 * responses queued together go out in one write; the socket's backpressure holds the pump,
 * and `drain()` lets a long command wait for it.
 *
 * Stored bodies (FETCH BODY[]) are read straight into large output buffers together with the
 * responses around them, so that many small messages leave in one socket write (one TLS
 * encryption call) and a large one in few, with no buffer allocated per message and no copy
 * but the file read. The buffers come from a pool shared by every connection and go back to it
 * once the socket has written them: an idle connection holds none.
 */
import { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import type { ImapOut, RangeReader } from './values.js';

/** the socket went away: a command that waits on drain() stops there */
export class ConnectionClosed extends Error {
  override name = 'ConnectionClosed';
}

type StreamPart = { length: number; open: () => Readable; reader?: () => Promise<RangeReader> };
type Part = Buffer | StreamPart;

const CRLF = Buffer.from('\r\n');
/** strings longer than this are sent as literals even when quotable */
const MAX_QUOTED = 1024;
/** buffers are joined up to this size per socket write */
const BATCH_BYTES = 128 * 1024;
/** the output buffers bodies are read into: one socket write each */
export const OUT_BYTES = 256 * 1024;
/** output buffers one connection may have handed to its socket and not yet seen written */
const IN_FLIGHT = 2;
/** buffers larger than this are written as they are rather than copied into an output buffer */
const DIRECT_FROM = 64 * 1024;
/** how far the queue is looked into for a body, to decide on an output buffer */
const LOOK_AHEAD = 8;

/** Output buffers kept for reuse by every connection of the process (at most POOL_MAX, 16 MiB). */
const POOL_MAX = 64;
const pool: Buffer[] = [];
const takeBuffer = (): Buffer => pool.pop() ?? Buffer.allocUnsafeSlow(OUT_BYTES);
const giveBack = (b: Buffer): void => {
  if (pool.length < POOL_MAX) pool.push(b);
};
/** the output buffers waiting in the pool (tests) */
export const pooledBuffers = (): readonly Buffer[] => pool;

/**
 * Response text (resp-text) is 7-bit in IMAP4rev1: French accents are taken off, guillemets
 * become quotes, anything else non-ASCII a `?`; CR and LF never pass.
 */
export function asciiText(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/«[\s\u00a0\u202f]*/g, '"')
    .replace(/[\s\u00a0\u202f]*»/g, '"')
    .replace(/[“”]/g, '"')
    .replace(/[‘’]/g, "'")
    .replace(/œ/g, 'oe')
    .replace(/Œ/g, 'OE')
    .replace(/[\u00a0\u202f]/g, ' ')
    .replace(/[\r\n]+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?');
}

function quotable(bytes: Buffer, utf8: boolean): boolean {
  if (bytes.length > MAX_QUOTED) return false;
  for (const b of bytes) {
    if (b < 0x20 || b === 0x7f) return false;
    if (b >= 0x80 && !utf8) return false;
  }
  return true;
}

/** Compiles values into parts: buffers, and the streams of `stream` values. */
export function compile(items: readonly ImapOut[], utf8 = false): Part[] {
  const parts: Part[] = [];
  let text = '';
  const flush = () => {
    if (text) parts.push(Buffer.from(text, 'latin1'));
    text = '';
  };
  const bytes = (b: Buffer) => {
    flush();
    parts.push(b);
  };
  const one = (item: ImapOut): void => {
    switch (item.t) {
      case 'atom':
        text += item.v;
        return;
      case 'number':
        text += String(item.v);
        return;
      case 'nil':
        text += 'NIL';
        return;
      case 'list':
        text += '(';
        item.v.forEach((inner, i) => {
          if (i > 0) text += ' ';
          one(inner);
        });
        text += ')';
        return;
      case 'string': {
        const b = typeof item.v === 'string' ? Buffer.from(item.v, 'utf8') : item.v;
        if (quotable(b, utf8)) {
          const escaped = b.toString('latin1').replace(/["\\]/g, '\\$&');
          if (utf8) bytes(Buffer.concat([Buffer.from('"'), Buffer.from(escaped, 'latin1'), Buffer.from('"')]));
          else text += `"${escaped}"`;
          return;
        }
        text += `{${b.length}}\r\n`;
        bytes(b);
        return;
      }
      case 'literal':
        text += `{${item.v.length}}\r\n`;
        bytes(item.v);
        return;
      case 'stream':
        text += `{${item.length}}\r\n`;
        flush();
        parts.push({ length: item.length, open: item.open, reader: item.reader });
        return;
    }
  };
  items.forEach((item, i) => {
    if (i > 0) text += ' ';
    one(item);
  });
  flush();
  return parts;
}

export class ResponseWriter {
  private queue: Part[] = [];
  /** bytes of the buffers in `queue`: memory held for a client that reads slower than it asks */
  private queuedBuffers = 0;
  /** bytes of everything in `queue`, streamed bodies by their length */
  private queuedTotal = 0;
  /** commands waiting for the queue to shrink (below()) */
  private roomWaiters: Array<{ limit: number; resolve: () => void; reject: (err: Error) => void }> = [];
  private pumping = false;
  private closed = false;
  private waiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  /** the output buffer being filled (while bodies are sent), and how much of it is used */
  private out: Buffer | undefined;
  private used = 0;
  /** output buffers handed to the socket whose write has not completed */
  private inFlight = 0;
  private slotFreed: (() => void) | undefined;
  /** told when a streamed value could not be read whole (it is padded to its announced length) */
  onStreamError?: (err: unknown) => void;
  /**
   * Told when the socket has taken no byte for `stallMs` while output waits: a client that
   * stopped reading would otherwise hold the command (and its memory) for ever.
   */
  onStall?: () => void;
  private stallTimer: NodeJS.Timeout | undefined;

  constructor(
    private socket: Writable,
    /** UTF8=ACCEPT: strings and texts may be UTF-8 */
    private readonly utf8: () => boolean = () => false,
    /** see onStall; 0 never */
    private readonly stallMs = 0,
  ) {}

  /**
   * Bytes of responses queued and not yet handed to the socket (streamed bodies count for
   * nothing: they are read only when their turn comes). The connection holds the next command
   * while this is high, so that a client that does not read cannot make it grow.
   */
  get queuedBytes(): number {
    return this.queuedBuffers;
  }

  /**
   * Bytes owed to the client and not yet taken by the pump: queued buffers, and streamed bodies
   * whose turn has not come, by their length. The connection runs the next command only below
   * a mark of this (below()), so that a pipelining client (mbsync sends every FETCH at once)
   * gets its answers as they are ready instead of after every command has run.
   */
  get pendingBytes(): number {
    return this.queuedTotal;
  }

  /** resolves once pendingBytes is at most `limit` (rejects if the connection closes first) */
  below(limit: number): Promise<void> {
    if (this.closed) return Promise.reject(new ConnectionClosed('connection closed'));
    if (this.queuedTotal <= limit) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.roomWaiters.push({ limit, resolve, reject });
      if (!this.pumping) void this.pump();
    });
  }

  /** STARTTLS: later responses go to the TLS socket */
  retarget(socket: Writable): void {
    this.socket = socket;
  }

  untagged(items: readonly ImapOut[]): void {
    this.enqueue([Buffer.from('* '), ...compile(items, this.utf8()), CRLF]);
  }

  untaggedText(text: string): void {
    this.enqueue([Buffer.from(`* ${this.text(text)}\r\n`, 'latin1')]);
  }

  continuation(text = ''): void {
    this.enqueue([Buffer.from(`+ ${this.text(text)}\r\n`, 'latin1')]);
  }

  tagged(tag: string, status: 'OK' | 'NO' | 'BAD', text: string, code?: string): void {
    const bracket = code ? `[${this.text(code)}] ` : '';
    this.enqueue([Buffer.from(`${tag} ${status} ${bracket}${this.text(text)}\r\n`, 'latin1')]);
  }

  /** everything queued so far is handed to the socket, and the socket is not over its high-water mark */
  drain(): Promise<void> {
    if (this.closed) return Promise.reject(new ConnectionClosed('connection closed'));
    if (!this.pumping && this.queue.length === 0 && !this.needsDrain()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      if (!this.pumping) void this.pump();
    });
  }

  /** the socket is gone: queued output is dropped, waiters are told */
  close(): void {
    this.closed = true;
    this.queue = [];
    this.queuedBuffers = 0;
    this.queuedTotal = 0;
    this.stallWatch(false);
    // An output buffer a read may still be filling stays with the pump, which drops it.
    for (const w of [...this.waiters.splice(0), ...this.roomWaiters.splice(0)]) w.reject(new ConnectionClosed('connection closed'));
    this.slotFreed?.();
  }

  private text(text: string): string {
    return this.utf8() ? text.replace(/[\r\n]+/g, ' ') : asciiText(text);
  }

  private needsDrain(): boolean {
    return (this.socket as Writable & { writableNeedDrain?: boolean }).writableNeedDrain === true;
  }

  private enqueue(parts: Part[]): void {
    if (this.closed) return;
    for (const p of parts) {
      this.queue.push(p);
      if (Buffer.isBuffer(p)) this.queuedBuffers += p.length;
      this.queuedTotal += p.length;
    }
    if (!this.pumping) {
      this.pumping = true;
      // Responses queued in the same turn of the event loop are written together: a command
      // whose answers come from promises already settled (FETCH of flags over a whole folder)
      // queues them all between two microtasks, and one write takes them, not one each.
      setImmediate(() => void this.pump(true));
    }
  }

  /** a body to read from storage is at the head of the queue, or just behind a few small buffers */
  private bodyAhead(): boolean {
    const n = Math.min(this.queue.length, LOOK_AHEAD);
    for (let i = 0; i < n; i++) {
      const p = this.queue[i]!;
      if (!Buffer.isBuffer(p)) return p.reader !== undefined;
    }
    return false;
  }

  private async pump(scheduled = false): Promise<void> {
    if (this.pumping && !scheduled) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        if (!this.out && this.bodyAhead()) {
          this.out = takeBuffer();
          this.used = 0;
        }
        const head = this.take();
        if (this.out) {
          if (Buffer.isBuffer(head)) await this.put(head);
          else if (head.reader) await this.fill(head);
          else {
            await this.flush(false);
            await this.stream(head);
          }
          continue;
        }
        if (!Buffer.isBuffer(head)) {
          await this.stream(head);
          continue;
        }
        const batch: Buffer[] = [head];
        let size = head.length;
        while (this.queue.length > 0 && Buffer.isBuffer(this.queue[0]) && size < BATCH_BYTES) {
          const b = this.take() as Buffer;
          batch.push(b);
          size += b.length;
        }
        if (!this.write(batch.length === 1 ? batch[0]! : Buffer.concat(batch, size))) await this.waitDrain();
      }
      // Nothing more to say for now: what the output buffer holds leaves.
      if (this.out) await this.flush(false);
      if (!this.closed && this.needsDrain()) await this.waitDrain();
    } catch {
      this.close();
    } finally {
      this.pumping = false;
      if (this.closed) this.dropOut();
    }
    if (this.closed) return;
    if (this.queue.length > 0) return void this.pump();
    for (const w of this.waiters.splice(0)) w.resolve();
  }

  private take(): Part {
    const p = this.queue.shift()!;
    if (Buffer.isBuffer(p)) this.queuedBuffers -= p.length;
    this.queuedTotal -= p.length;
    if (this.roomWaiters.length > 0) {
      const still = this.roomWaiters.filter((w) => this.queuedTotal > w.limit);
      for (const w of this.roomWaiters) if (this.queuedTotal <= w.limit) w.resolve();
      this.roomWaiters = still;
    }
    return p;
  }

  /** arms (or clears) the stall timer while the pump waits for the socket to take bytes */
  private stallWatch(waiting: boolean): void {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    if (!waiting || this.stallMs <= 0 || !this.onStall) return;
    this.stallTimer = setTimeout(() => {
      this.stallTimer = undefined;
      this.onStall?.();
    }, this.stallMs);
    this.stallTimer.unref();
  }

  private write(b: Buffer, done?: (err?: Error | null) => void): boolean {
    const s = this.socket as Writable & { destroyed?: boolean };
    if (s.destroyed || s.writableEnded) throw new ConnectionClosed('connection closed');
    return done ? s.write(b, done) : s.write(b);
  }

  /** copies a buffer into the output buffer (a large one is written as it is, in its turn) */
  private async put(b: Buffer): Promise<void> {
    if (b.length >= DIRECT_FROM) {
      await this.flush(true);
      if (!this.write(b)) await this.waitDrain();
      return;
    }
    let at = 0;
    while (at < b.length) {
      if (this.used === OUT_BYTES) await this.flush(true);
      const n = b.copy(this.out!, this.used, at);
      this.used += n;
      at += n;
    }
  }

  /**
   * Hands the output buffer to the socket; with `next`, takes a fresh one for what follows,
   * once the socket has fewer than IN_FLIGHT of ours to write. The buffer goes back to the
   * pool when its write completes (never before: the socket still reads it until then).
   */
  private async flush(next: boolean): Promise<void> {
    const b = this.out!;
    const n = this.used;
    this.out = undefined;
    this.used = 0;
    if (n === 0) {
      if (next) this.out = b;
      else giveBack(b);
      return;
    }
    // A socket copies what it was given by the time it calls back; another Writable may keep it.
    const reusable = this.socket instanceof Socket;
    this.write(b.subarray(0, n), (err) => {
      this.inFlight--;
      if (!err && reusable) giveBack(b);
      const wake = this.slotFreed;
      this.slotFreed = undefined;
      wake?.();
    });
    this.inFlight++;
    if (!next) return;
    // Reads of stored bodies may complete in place (page cache): let the other sessions of
    // this process have their turn between two buffers of a long answer.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.inFlight >= IN_FLIGHT && !this.closed) await this.slot();
    if (this.closed) throw new ConnectionClosed('connection closed');
    this.out = takeBuffer();
  }

  private slot(): Promise<void> {
    this.stallWatch(true);
    return new Promise((resolve) => {
      const s = this.socket;
      const done = () => {
        s.off('close', done);
        this.stallWatch(false);
        resolve();
      };
      this.slotFreed = done;
      s.once('close', done);
    });
  }

  /** the connection ended while the pump held an output buffer: it is dropped, not pooled */
  private dropOut(): void {
    this.out = undefined;
    this.used = 0;
  }

  private waitDrain(): Promise<void> {
    this.stallWatch(true);
    return new Promise((resolve, reject) => {
      const s = this.socket;
      const done = () => {
        s.off('drain', done);
        s.off('close', gone);
        this.stallWatch(false);
        resolve();
      };
      const gone = () => {
        s.off('drain', done);
        s.off('close', gone);
        this.stallWatch(false);
        reject(new ConnectionClosed('connection closed'));
      };
      s.on('drain', done);
      s.on('close', gone);
    });
  }

  /**
   * Reads a stored part straight into the output buffer, as many reads as it takes. The length
   * was announced in `{n}`: a source that ends early is padded with spaces and one that is
   * longer is cut, so the client never loses its place.
   */
  private async fill(part: StreamPart): Promise<void> {
    let done = 0;
    let reader: RangeReader | undefined;
    try {
      reader = await part.reader!();
      while (done < part.length) {
        if (this.closed) throw new ConnectionClosed('connection closed');
        if (this.used === OUT_BYTES) await this.flush(true);
        const n = await reader.read(this.out!, this.used, Math.min(OUT_BYTES - this.used, part.length - done), done);
        if (n === 0) break;
        this.used += n;
        done += n;
      }
    } catch (err) {
      if (err instanceof ConnectionClosed || this.closed) throw err;
      this.onStreamError?.(err);
    } finally {
      // Nothing waits on the close: the file is done with.
      reader?.close().catch(() => undefined);
    }
    if (this.closed) throw new ConnectionClosed('connection closed');
    for (let left = part.length - done; left > 0; ) {
      const n = Math.min(left, DIRECT_FROM - 1);
      await this.put(Buffer.alloc(n, 0x20));
      left -= n;
    }
  }

  /**
   * Pipes a stored part. The length was announced in `{n}`: a source that gives fewer bytes is
   * padded with spaces and one that gives more is cut, so the client never loses its place.
   */
  private async stream(part: { length: number; open: () => Readable }): Promise<void> {
    let left = part.length;
    if (left > 0) {
      let source: Readable | undefined;
      try {
        source = part.open();
        for await (const chunk of source) {
          const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
          const piece = b.length > left ? b.subarray(0, left) : b;
          left -= piece.length;
          if (piece.length > 0 && !this.write(piece)) await this.waitDrain();
          if (left === 0) break;
        }
      } catch (err) {
        // The socket gone ends everything; a storage failure only this literal (padded below).
        if (err instanceof ConnectionClosed) throw err;
        this.onStreamError?.(err);
      } finally {
        source?.destroy();
      }
    }
    if (left > 0) this.write(Buffer.alloc(left, 0x20));
  }
}
