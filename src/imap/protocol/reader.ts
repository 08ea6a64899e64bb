/**
 * Client bytes → whole commands. A command is a line, and for each literal announced at the
 * end of a line (`{n}` synchronising, `{n+}` LITERAL+ RFC 7888) n bytes and the rest of the
 * command on the next line. The reader never parses arguments (parser.ts does); it only keeps
 * the stream in step: an over-long line is skipped up to its end (and any `{n+}` literal it
 * announced), a synchronising literal over the limit is refused before the client sends it.
 * Nothing is buffered between commands: an idle connection costs no memory here.
 *
 * A literal's limit depends on the session's state (8 KiB before login): when a large one is
 * announced while commands ahead of it have not run yet (`LOGIN` pipelined before `APPEND
 * {50000+}`), the reader holds the rest of the input until they have (`release`), then decides.
 */

export interface ReaderLimits {
  /** bytes of one line (between literals), CRLF excluded */
  maxLineBytes: number;
  /** bytes of one literal, for every command but APPEND */
  maxLiteralBytes: number;
  /** bytes of one literal of APPEND (the message: APPENDLIMIT) */
  appendLimit: number;
  /** literals in one command */
  maxLiterals: number;
}

/** One command as sent: `lines.length === literals.length + 1`; every line but the last ends with its literal's `{n}`. */
export interface RawCommand {
  lines: Buffer[];
  literals: Buffer[];
}

export type ReaderEvent =
  | { kind: 'command'; command: RawCommand }
  /** a synchronising literal is awaited: the client waits for `+` before sending it */
  | { kind: 'continue' }
  /**
   * A command refused before it was whole; `fatal` when the stream cannot be followed any
   * further (a `{n+}` literal over the limit: the client sends it anyway).
   */
  | { kind: 'refuse'; tag: string; status: 'NO' | 'BAD'; code?: string; text: string; fatal: boolean };

type Mode = 'line' | 'literal' | 'skip-line' | 'skip-literal' | 'held' | 'dead';
type Marker = { size: number; sync: boolean };

const LF = 0x0a;
const CR = 0x0d;
/** `{4294967295+}` is 13 bytes: a longer tail cannot hold a literal marker */
const MARKER_TAIL = 16;
const MARKER = /\{(\d{1,10})(\+)?\}$/;
/** bytes of a literal before login (a user name, a password, a SASL response) */
export const PRE_LOGIN_LITERAL = 8 * 1024;

/** the tag and command name at the start of a command's first line, as far as they can be read */
function head(line: Buffer): { tag: string; name: string } {
  const text = line.subarray(0, 128).toString('latin1');
  const [tag = '', first = '', second = ''] = text.split(' ');
  const valid = /^[\x21-\x7e]+$/.test(tag) && !/[(){%*"\\+]/.test(tag);
  const name = first.toUpperCase() === 'UID' ? second.toUpperCase() : first.toUpperCase();
  return { tag: valid ? tag : '*', name };
}

function literalMarker(line: Buffer): Marker | undefined {
  if (line.length < 3 || line[line.length - 1] !== 0x7d /* } */) return undefined;
  const match = MARKER.exec(line.subarray(Math.max(0, line.length - MARKER_TAIL)).toString('latin1'));
  if (!match) return undefined;
  return { size: Number(match[1]), sync: match[2] === undefined };
}

export class CommandReader {
  private mode: Mode = 'line';
  /** pieces of the current line, until its LF */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** the end of a line being skipped, to notice a literal it announces */
  private skippedTail: Buffer | undefined;
  private lines: Buffer[] = [];
  private literals: Buffer[] = [];
  private literal: Buffer | undefined;
  private literalFill = 0;
  private remaining = 0;
  private current: { tag: string; name: string } | undefined;
  /**
   * Before login only a user name or a password may come as a literal: PRE_LOGIN_LITERAL at
   * most, so that a client nobody knows cannot make the server hold megabytes.
   */
  loggedIn = false;
  /**
   * Whether `loggedIn` is final for what comes next: false while commands read before have not
   * run (the connection knows). A literal only a login would allow waits until it is.
   */
  settled: () => boolean = () => true;
  /** the literal waiting for `settled`, and the input received after its marker */
  private heldMarker: Marker | undefined;
  private heldInput: Buffer[] = [];

  constructor(
    private readonly limits: ReaderLimits,
    private readonly emit: (event: ReaderEvent) => void,
  ) {}

  /** true between commands: nothing is held */
  get idle(): boolean {
    return this.mode === 'line' && this.pendingBytes === 0 && this.lines.length === 0;
  }

  /** a literal's limit waits for the commands ahead (the connection stops reading meanwhile) */
  get held(): boolean {
    return this.mode === 'held';
  }

  /** bytes of the command being received (its lines and literals so far, the literal's buffer) */
  get heldBytes(): number {
    let n = this.pendingBytes + (this.literal?.length ?? 0);
    for (const l of this.lines) n += l.length;
    for (const l of this.literals) n += l.length;
    for (const c of this.heldInput) n += c.length;
    return n;
  }

  /** the commands ahead have run: the held literal is decided with the state as it is now, and reading goes on */
  release(): void {
    if (this.mode !== 'held') return;
    const marker = this.heldMarker!;
    const input = this.heldInput;
    this.heldMarker = undefined;
    this.heldInput = [];
    this.mode = 'line';
    this.startLiteral(marker);
    // (held again by a later literal: push keeps the rest)
    for (const chunk of input) this.push(chunk);
  }

  /** Forgets everything received and not yet whole (STARTTLS: nothing sent in clear may be run after). */
  reset(): void {
    if (this.mode !== 'dead') this.mode = 'line';
    this.pending = [];
    this.pendingBytes = 0;
    this.skippedTail = undefined;
    this.heldMarker = undefined;
    this.heldInput = [];
    this.endCommand();
  }

  push(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      switch (this.mode) {
        case 'dead':
          return;
        case 'held':
          this.heldInput.push(pos === 0 ? chunk : chunk.subarray(pos));
          return;
        case 'literal': {
          const take = Math.min(this.remaining, chunk.length - pos);
          chunk.copy(this.literal!, this.literalFill, pos, pos + take);
          this.literalFill += take;
          this.remaining -= take;
          pos += take;
          if (this.remaining === 0) this.literalDone();
          break;
        }
        case 'skip-literal': {
          const take = Math.min(this.remaining, chunk.length - pos);
          this.remaining -= take;
          pos += take;
          if (this.remaining === 0) this.mode = 'skip-line';
          break;
        }
        case 'line':
        case 'skip-line': {
          const lf = chunk.indexOf(LF, pos);
          const end = lf === -1 ? chunk.length : lf;
          this.collect(chunk.subarray(pos, end));
          pos = lf === -1 ? chunk.length : lf + 1;
          if (lf !== -1) this.lineDone();
          break;
        }
      }
    }
  }

  private collect(piece: Buffer): void {
    if (piece.length === 0) return;
    if (this.mode === 'skip-line') {
      this.keepTail(piece);
      return;
    }
    if (this.pendingBytes + piece.length > this.limits.maxLineBytes + 1 /* a CR */) {
      const first = this.lines[0] ?? Buffer.concat([...this.pending, piece]);
      this.refuse('BAD', undefined, `Ligne trop longue (${this.limits.maxLineBytes} octets au plus) / Line too long (at most ${this.limits.maxLineBytes} bytes)`, false, first);
      this.pending = [];
      this.pendingBytes = 0;
      this.mode = 'skip-line';
      this.keepTail(piece);
      return;
    }
    // A copy, so that the socket's chunk is not kept alive by a few bytes of it.
    this.pending.push(Buffer.from(piece));
    this.pendingBytes += piece.length;
  }

  private keepTail(piece: Buffer): void {
    const joined = this.skippedTail ? Buffer.concat([this.skippedTail, piece]) : piece;
    this.skippedTail = Buffer.from(joined.subarray(Math.max(0, joined.length - MARKER_TAIL)));
  }

  private lineDone(): void {
    if (this.mode === 'skip-line') {
      let tail = this.skippedTail ?? Buffer.alloc(0);
      if (tail[tail.length - 1] === CR) tail = tail.subarray(0, -1);
      this.skippedTail = undefined;
      const marker = literalMarker(tail);
      // A {n+} literal comes whatever we answer: skip it and the rest of its command.
      if (marker && !marker.sync) {
        this.remaining = marker.size;
        this.mode = marker.size === 0 ? 'skip-line' : 'skip-literal';
        return;
      }
      // A {n} literal is not sent before a `+`, which never comes: the command is over.
      this.endCommand();
      this.mode = 'line';
      return;
    }
    let line = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    if (line[line.length - 1] === CR) line = line.subarray(0, -1);
    if (this.lines.length === 0 && line.length === 0) return; // blank lines between commands are ignored
    if (this.lines.length === 0) this.current = head(line);
    this.lines.push(line);
    const marker = literalMarker(line);
    if (!marker) {
      const command = { lines: this.lines, literals: this.literals };
      this.endCommand();
      this.emit({ kind: 'command', command });
      return;
    }
    if (!this.loggedIn && marker.size > Math.min(PRE_LOGIN_LITERAL, this.limits.maxLiteralBytes) && !this.settled()) {
      // Too large before login, but a LOGIN may be ahead of it: decide once it has run.
      this.heldMarker = marker;
      this.mode = 'held';
      return;
    }
    this.startLiteral(marker);
  }

  /** the limits applied to a literal just announced: refused, or awaited (`+` when synchronising) */
  private startLiteral(marker: Marker): void {
    const append = this.loggedIn && this.current?.name === 'APPEND';
    const max = !this.loggedIn ? Math.min(PRE_LOGIN_LITERAL, this.limits.maxLiteralBytes) : append ? this.limits.appendLimit : this.limits.maxLiteralBytes;
    if (marker.size > max || this.literals.length >= this.limits.maxLiterals) {
      const many = marker.size <= max;
      const text = many
        ? `Trop de littéraux dans une commande (${this.limits.maxLiterals} au plus) / Too many literals in one command (at most ${this.limits.maxLiterals})`
        : append
          ? `Message trop volumineux (${max} octets au plus) / Message too large (at most ${max} bytes)`
          : `Littéral trop long (${max} octets au plus) / Literal too large (at most ${max} bytes)`;
      const code = many ? 'LIMIT' : 'TOOBIG';
      // RFC 7888 §4: a synchronising literal refused is never sent; a non-synchronising one is.
      this.refuse(append && !many && marker.sync ? 'NO' : 'BAD', code, text, !marker.sync, this.lines[0]!);
      this.endCommand();
      if (!marker.sync) this.mode = 'dead';
      return;
    }
    if (marker.sync) this.emit({ kind: 'continue' });
    this.literal = Buffer.allocUnsafe(marker.size);
    this.literalFill = 0;
    this.remaining = marker.size;
    if (marker.size === 0) this.literalDone();
    else this.mode = 'literal';
  }

  private literalDone(): void {
    this.literals.push(this.literal!);
    this.literal = undefined;
    this.mode = 'line';
  }

  private endCommand(): void {
    this.lines = [];
    this.literals = [];
    this.literal = undefined;
    this.current = undefined;
  }

  private refuse(status: 'NO' | 'BAD', code: string | undefined, text: string, fatal: boolean, first: Buffer): void {
    this.emit({ kind: 'refuse', tag: head(first).tag, status, code, text, fatal });
  }
}
