/**
 * Reads the message's own header block as it streams in, within hard limits (the whole block,
 * one line), before anything else does: a header over a limit is known at once, the rest of
 * the message is then drained without being passed on, and the caller refuses it for good.
 * Nothing downstream (the parser, the stored file) ever sees an unbounded header.
 *
 * It can also complete the header: fields named in `complete` that the header lacks are added
 * at its end, before the empty line (a submission server adds Date: and Message-ID:, RFC 6409
 * §8). Otherwise every byte passes through unchanged. The header is held until its end (it is
 * bounded), so the added fields reach the disk, the MIME index and the parser like the others.
 */
import { Transform, type TransformCallback } from 'node:stream';

export interface HeaderLimits {
  /** bytes of the whole header block, line ends included */
  maxBytes: number;
  /** bytes of one line, its line end not included */
  maxLineBytes: number;
}

/** A field to add when the header has none of that name. */
export interface MissingField {
  name: string;
  value: () => string;
}

export interface HeaderProblem {
  what: 'block' | 'line';
  limit: number;
  message: string;
}

const LF = 0x0a;
const CR = 0x0d;
/** enough of a line to read a field name */
const NAME_BYTES = 80;

export class HeaderGate extends Transform {
  /** set when the header crossed a limit; nothing more is passed on then */
  problem: HeaderProblem | undefined;
  private inHeader = true;
  private held: Buffer[] = [];
  private headerBytes = 0;
  private lineBytes = 0;
  private lineStart: Buffer[] = [];
  private lineStartBytes = 0;
  /** lower-cased names of the fields to add that the header has not shown yet */
  private readonly absent: Map<string, MissingField>;

  constructor(
    private readonly limits: HeaderLimits,
    complete: readonly MissingField[] = [],
  ) {
    super();
    this.absent = new Map(complete.map((f) => [f.name.toLowerCase(), f]));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (this.problem) return done();
    if (!this.inHeader) return done(null, chunk);
    let from = 0;
    while (from < chunk.length) {
      const lf = chunk.indexOf(LF, from);
      const end = lf === -1 ? chunk.length : lf + 1;
      this.headerBytes += end - from;
      this.lineBytes += end - from;
      if (this.lineStartBytes < NAME_BYTES) {
        const part = chunk.subarray(from, Math.min(end, from + NAME_BYTES - this.lineStartBytes));
        this.lineStart.push(part);
        this.lineStartBytes += part.length;
      }
      const content = this.lineBytes - (lf === -1 ? 0 : 1);
      if (content > this.limits.maxLineBytes) return this.fail('line', done);
      if (this.headerBytes > this.limits.maxBytes) return this.fail('block', done);
      if (lf !== -1) {
        const line = Buffer.concat(this.lineStart);
        const earlier = this.lineBytes - (end - from); // bytes of this line held from earlier chunks
        this.lineBytes = 0;
        this.lineStart = [];
        this.lineStartBytes = 0;
        if (line.length === 1 || (line.length === 2 && line[0] === CR)) {
          // The empty line: the header ends before it; what is missing goes there.
          this.held.push(chunk.subarray(0, from));
          const blank = this.takeHeld(earlier);
          this.release();
          this.inHeader = false;
          if (blank.length) this.push(blank);
          return done(null, chunk.subarray(from));
        }
        this.seen(line);
      }
      from = end;
    }
    this.held.push(chunk);
    done();
  }

  override _flush(done: TransformCallback): void {
    // A message that is all header: the added fields go after its last line.
    if (this.inHeader && !this.problem) {
      const last = this.held.findLast((b) => b.length > 0);
      if (this.absent.size > 0 && last && last[last.length - 1] !== LF) this.held.push(Buffer.from('\r\n'));
      this.release();
    }
    done();
  }

  /** Notes a header line that starts a field of a name still absent. */
  private seen(line: Buffer): void {
    if (this.absent.size === 0) return;
    const match = /^([^\s:]+)[ \t]*:/.exec(line.toString('latin1'));
    if (match) this.absent.delete(match[1]!.toLowerCase());
  }

  /** Takes the last `n` held bytes back (the start of the empty line, when it straddles chunks). */
  private takeHeld(n: number): Buffer {
    const taken: Buffer[] = [];
    while (n > 0 && this.held.length > 0) {
      const last = this.held.pop()!;
      if (last.length > n) {
        this.held.push(last.subarray(0, last.length - n));
        taken.unshift(last.subarray(last.length - n));
        break;
      }
      taken.unshift(last);
      n -= last.length;
    }
    return Buffer.concat(taken);
  }

  /** Passes the held header on, with the fields it lacks. */
  private release(): void {
    for (const b of this.held) if (b.length) this.push(b);
    this.held = [];
    for (const field of this.absent.values()) this.push(Buffer.from(`${field.name}: ${field.value()}\r\n`));
    this.absent.clear();
  }

  private fail(what: HeaderProblem['what'], done: TransformCallback): void {
    this.problem = {
      what,
      limit: what === 'line' ? this.limits.maxLineBytes : this.limits.maxBytes,
      message:
        what === 'line'
          ? `a line of the header has more than ${this.limits.maxLineBytes} bytes`
          : `the header has more than ${this.limits.maxBytes} bytes`,
    };
    this.held = [];
    this.lineStart = [];
    done();
  }
}
