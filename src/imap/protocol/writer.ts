/**
 * ImapOut → bytes on the socket. The writer alone decides how a value is written (RFC 3501
 * §4.3): a string is quoted when it is short 7-bit text, a literal otherwise; streamed values
 * are piped from storage a chunk at a time, never held whole. Responses leave in the order they
 * were queued, each whole: a continuation never lands inside another response. Small
 * responses queued together go out in one write; the socket's backpressure holds the pump,
 * and `drain()` lets a long command wait for it.
 */
import type { Readable, Writable } from 'node:stream';
import type { ImapOut } from './values.js';

/** the socket went away: a command that waits on drain() stops there */
export class ConnectionClosed extends Error {
  override name = 'ConnectionClosed';
}

type Part = Buffer | { length: number; open: () => Readable };

const CRLF = Buffer.from('\r\n');
/** strings longer than this are sent as literals even when quotable */
const MAX_QUOTED = 1024;
/** buffers are joined up to this size per socket write */
const BATCH_BYTES = 128 * 1024;

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
        parts.push({ length: item.length, open: item.open });
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
  private pumping = false;
  private closed = false;
  private waiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  /** told when a streamed value could not be read whole (it is padded to its announced length) */
  onStreamError?: (err: unknown) => void;

  constructor(
    private socket: Writable,
    /** UTF8=ACCEPT: strings and texts may be UTF-8 */
    private readonly utf8: () => boolean = () => false,
  ) {}

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
    for (const w of this.waiters.splice(0)) w.reject(new ConnectionClosed('connection closed'));
  }

  private text(text: string): string {
    return this.utf8() ? text.replace(/[\r\n]+/g, ' ') : asciiText(text);
  }

  private needsDrain(): boolean {
    return (this.socket as Writable & { writableNeedDrain?: boolean }).writableNeedDrain === true;
  }

  private enqueue(parts: Part[]): void {
    if (this.closed) return;
    for (const p of parts) this.queue.push(p);
    if (!this.pumping) {
      this.pumping = true;
      // Responses queued in the same turn are written together.
      queueMicrotask(() => void this.pump(true));
    }
  }

  private async pump(scheduled = false): Promise<void> {
    if (this.pumping && !scheduled) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const batch: Buffer[] = [];
        let size = 0;
        while (this.queue.length > 0 && Buffer.isBuffer(this.queue[0]) && size < BATCH_BYTES) {
          const b = this.queue.shift() as Buffer;
          batch.push(b);
          size += b.length;
        }
        if (batch.length > 0) {
          if (!this.write(batch.length === 1 ? batch[0]! : Buffer.concat(batch, size))) await this.waitDrain();
          continue;
        }
        await this.stream(this.queue.shift() as Exclude<Part, Buffer>);
      }
      if (!this.closed && this.needsDrain()) await this.waitDrain();
    } catch {
      this.close();
    } finally {
      this.pumping = false;
    }
    if (this.closed) return;
    if (this.queue.length > 0) return void this.pump();
    for (const w of this.waiters.splice(0)) w.resolve();
  }

  private write(b: Buffer): boolean {
    const s = this.socket as Writable & { destroyed?: boolean };
    if (s.destroyed || s.writableEnded) throw new ConnectionClosed('connection closed');
    return s.write(b);
  }

  private waitDrain(): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = this.socket;
      const done = () => {
        s.off('drain', done);
        s.off('close', gone);
        resolve();
      };
      const gone = () => {
        s.off('drain', done);
        s.off('close', gone);
        reject(new ConnectionClosed('connection closed'));
      };
      s.on('drain', done);
      s.on('close', gone);
    });
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
