/**
 * Builds a message's MIME index while it streams in, in one pass and bounded memory: only the
 * header block being read and the first bytes of each line (enough to recognise a boundary) are
 * held, whatever the size of the bodies. Every part gets its byte offsets and line count in the
 * stored file, so readers later take a part as a byte range.
 *
 * The structure follows RFC 2045/2046: a multipart's children sit between delimiter lines
 * (`--boundary`), the CRLF before a delimiter belongs to the delimiter, a line matching an
 * outer boundary also ends the inner parts (a missing close delimiter is forgiven), and a
 * message/rfc822 part holds a whole message, indexed in turn. Limits on nesting, parts, header
 * size and header fields end the indexing with a reason: the caller refuses the message
 * permanently.
 */
import { buildEnvelope } from './envelope.js';
import { firstField, headerText, parseHeaderFields, parseStructured, type HeaderField } from './header.js';
import type { MimeIndex, MimePart } from './types.js';

export interface MimeLimits {
  /** multiparts and messages inside each other */
  maxDepth: number;
  /** parts in the whole message, nested messages included */
  maxParts: number;
  /** bytes of one header block (the message's or a part's) */
  maxHeaderBytes: number;
  /** fields of one header block */
  maxHeaderFields: number;
}

export const DEFAULT_MIME_LIMITS: Readonly<MimeLimits> = Object.freeze({
  maxDepth: 32,
  maxParts: 1000,
  maxHeaderBytes: 256 * 1024,
  maxHeaderFields: 1000,
});

export type MimeCheck = 'MIME_DEPTH' | 'MIME_PARTS' | 'MIME_HEADER_SIZE' | 'MIME_HEADER_FIELDS';

export class MimeStructureError extends Error {
  override name = 'MimeStructureError';
  constructor(
    readonly check: MimeCheck,
    message: string,
  ) {
    super(message);
  }
}

/** A boundary is at most 70 characters (RFC 2046; 200 tolerated); this much of a line decides whether it is one. */
const PREFIX_BYTES = 2 + 200 + 2 + 64;
const DASH = 0x2d;
const LF = 0x0a;
const CR = 0x0d;
/** first bytes of a header line that does not start a field: folding white space, an empty line */
const FIELD_CONTINUES = new Set([0x20, 0x09, CR]);

interface Frame {
  part: MimePart;
  inHeader: boolean;
  /** header bytes so far (while inHeader) */
  header: Buffer[];
  headerBytes: number;
  /** fields started so far (while inHeader) */
  headerFields?: number;
  /** LFs counted before the body started */
  lfAtBody: number;
  /** for a multipart being read: its boundary, and whether its close delimiter was seen */
  boundary?: Buffer;
  closed?: boolean;
  /** this frame is the message inside its parent (a message/rfc822 part) */
  isMessageRoot?: boolean;
  /** the default type of children (message/rfc822 inside multipart/digest) */
  childDefault?: 'digest';
  /** the fields of this part's header, kept for the message roots (envelope) */
  fields?: HeaderField[];
}

/** A text/plain part with nothing in it, at an offset of the stored file. */
export function emptyPart(headerStart: number): MimePart {
  return {
    headerStart,
    bodyStart: headerStart,
    bodyEnd: headerStart,
    bodyLines: 0,
    type: 'text',
    subtype: 'plain',
    params: [],
    id: null,
    description: null,
    encoding: '7bit',
    md5: null,
    disposition: null,
    language: null,
    location: null,
  };
}

/** Content-Transfer-Encodings under which a message/rfc822 body is readable as a message. */
const IDENTITY_ENCODINGS = new Set(['7bit', '8bit', 'binary']);

export class MimeIndexer {
  private readonly limits: MimeLimits;
  private readonly stack: Frame[] = [];
  private root: Frame;
  /** bytes seen */
  private offset = 0;
  /** offset of the current line's first byte */
  private lineStart = 0;
  private prefix = Buffer.alloc(PREFIX_BYTES);
  private prefixLength = 0;
  /** LF bytes seen */
  private lfs = 0;
  /** content length (without its end of line) of the last complete line */
  private previousContent = -1;
  /** bytes of the end of line that closed the previous line (1 or 2) */
  private previousEol = 0;
  private lastByte = -1;
  private parts = 1;
  private failure: MimeStructureError | undefined;
  private rootFields: HeaderField[] = [];
  private done: MimeIndex | undefined;

  constructor(limits: Partial<MimeLimits> = {}) {
    this.limits = { ...DEFAULT_MIME_LIMITS, ...limits };
    this.root = { part: emptyPart(0), inHeader: true, header: [], headerBytes: 0, lfAtBody: 0, isMessageRoot: true };
    this.stack.push(this.root);
  }

  /** The reason indexing stopped, if a limit was crossed; the caller refuses the message. */
  get error(): MimeStructureError | undefined {
    return this.failure;
  }

  /** The message's own header fields (available once its header has been read). */
  get headers(): readonly HeaderField[] {
    return this.rootFields;
  }

  write(chunk: Buffer): void {
    if (this.done) throw new Error('MimeIndexer: write after end');
    let from = 0;
    while (from < chunk.length) {
      const lf = chunk.indexOf(LF, from);
      const end = lf === -1 ? chunk.length : lf + 1;
      if (!this.failure) this.take(chunk, from, lf === -1 ? end : lf);
      this.offset += end - from;
      if (lf !== -1) {
        this.lfs++;
        if (!this.failure) this.endLine(chunk, lf);
        this.lineStart = this.offset;
        this.prefixLength = 0;
      }
      from = end;
    }
    if (chunk.length) this.lastByte = chunk[chunk.length - 1]!;
  }

  /** Closes every open part at the end of the message and returns the index. */
  end(): MimeIndex {
    if (this.done) return this.done;
    if (this.failure) throw this.failure;
    // A last line without an end of line still holds header text.
    const top = this.stack[this.stack.length - 1]!;
    if (top.inHeader && this.offset > this.lineStart) this.finishHeader(top, this.offset, false);
    const endsWithLf = this.lastByte === LF;
    while (this.stack.length) this.close(this.stack.pop()!, this.offset, endsWithLf ? this.lfs : this.lfs + 1);
    this.done = {
      version: 1,
      size: this.offset,
      envelope: buildEnvelope(this.rootFields),
      root: this.root.part,
    };
    return this.done;
  }

  /** Bytes of the current line, before its LF. */
  private take(chunk: Buffer, from: number, to: number): void {
    const top = this.stack[this.stack.length - 1]!;
    if (top.inHeader) {
      const slice = chunk.subarray(from, to);
      top.headerBytes += slice.length;
      if (top.headerBytes > this.limits.maxHeaderBytes) {
        return this.fail('MIME_HEADER_SIZE', `a header block is larger than ${this.limits.maxHeaderBytes} bytes`);
      }
      // A line that starts with neither white space (a continuation) nor its end starts a field.
      if (this.offset === this.lineStart && to > from && !FIELD_CONTINUES.has(chunk[from]!)) {
        top.headerFields = (top.headerFields ?? 0) + 1;
        if (top.headerFields > this.limits.maxHeaderFields) {
          return this.fail('MIME_HEADER_FIELDS', `a header block has more than ${this.limits.maxHeaderFields} header fields`);
        }
      }
      top.header.push(Buffer.from(slice));
    }
    if (this.prefixLength < PREFIX_BYTES && to > from) {
      const n = Math.min(PREFIX_BYTES - this.prefixLength, to - from);
      chunk.copy(this.prefix, this.prefixLength, from, from + n);
      this.prefixLength += n;
    }
  }

  /** A line ended at `lf` (the LF's index in `chunk`). */
  private endLine(chunk: Buffer, lf: number): void {
    const lineEnd = this.offset; // just past the LF
    const total = lineEnd - this.lineStart;
    // CR before the LF: it is in the prefix when the line is short, else in the chunk (or earlier).
    const crBefore = total > 1 && (lf > 0 ? chunk[lf - 1] === CR : this.lastByte === CR);
    const eol = crBefore ? 2 : 1;
    const content = total - eol;

    const delimiter = this.delimiterOf(content);
    if (delimiter) {
      this.onDelimiter(delimiter.frame, delimiter.closing);
    } else {
      const top = this.stack[this.stack.length - 1]!;
      if (top.inHeader) {
        top.header.push(Buffer.from('\n'));
        if (content === 0) this.finishHeader(top, lineEnd, true);
      }
    }
    this.previousContent = content;
    this.previousEol = eol;
  }

  /** Whether the line just read is a delimiter of an open multipart (innermost first). */
  private delimiterOf(content: number): { frame: number; closing: boolean } | undefined {
    if (content < 3 || this.prefix[0] !== DASH || this.prefix[1] !== DASH) return undefined;
    const line = this.prefix.subarray(0, Math.min(content, this.prefixLength));
    for (let i = this.stack.length - 1; i >= 0; i--) {
      const frame = this.stack[i]!;
      const boundary = frame.boundary;
      if (!boundary || frame.inHeader) continue;
      if (line.length < 2 + boundary.length || !line.subarray(2, 2 + boundary.length).equals(boundary)) continue;
      let rest = line.subarray(2 + boundary.length);
      const closing = rest.length >= 2 && rest[0] === DASH && rest[1] === DASH;
      if (closing) rest = rest.subarray(2);
      // Only transport padding (white space) may follow; a longer line is not this delimiter.
      if (content > this.prefixLength || !/^[ \t]*$/.test(rest.toString('latin1'))) continue;
      return { frame: i, closing };
    }
    return undefined;
  }

  private onDelimiter(index: number, closing: boolean): void {
    // The CRLF before the delimiter belongs to it: bodies above end before it.
    const bodyEnd = this.lineStart - (this.previousContent >= 0 ? this.previousEol : 0);
    const lfsInside = this.lfs - 2; // neither the delimiter's own LF nor the one before it
    const endsWithLf = this.previousContent === 0;
    while (this.stack.length - 1 > index) this.close(this.stack.pop()!, bodyEnd, lfsInside + (endsWithLf ? 0 : 1));
    const multipart = this.stack[index]!;
    if (closing) {
      multipart.closed = true;
      return;
    }
    if (multipart.closed) return; // a delimiter after the close one: epilogue text
    if (++this.parts > this.limits.maxParts) {
      return this.fail('MIME_PARTS', `the message has more than ${this.limits.maxParts} MIME parts`);
    }
    const child = emptyPart(this.offset);
    (multipart.part.parts ??= []).push(child);
    if (multipart.childDefault === 'digest') {
      child.type = 'message';
      child.subtype = 'rfc822';
    }
    this.push({ part: child, inHeader: true, header: [], headerBytes: 0, lfAtBody: 0 });
  }

  private push(frame: Frame): void {
    if (this.stack.length >= this.limits.maxDepth) {
      return this.fail('MIME_DEPTH', `MIME parts are nested more than ${this.limits.maxDepth} levels deep`);
    }
    this.stack.push(frame);
  }

  /**
   * The header block of `frame` ended; its body starts at `bodyStart`. `open` is false when the
   * part is being closed at the same time (its body is empty): nothing inside it is opened then.
   */
  private finishHeader(frame: Frame, bodyStart: number, open: boolean): void {
    frame.inHeader = false;
    const part = frame.part;
    part.bodyStart = bodyStart;
    frame.lfAtBody = this.lfs;
    const fields = parseHeaderFields(headerText(Buffer.concat(frame.header)));
    frame.header = [];
    if (frame === this.root) this.rootFields = fields;
    if (frame.isMessageRoot) frame.fields = fields;
    describePart(part, fields);

    if (part.type === 'multipart') {
      const boundary = part.params.find(([name]) => name === 'boundary')?.[1];
      if (boundary && boundary.length <= 200) {
        frame.boundary = Buffer.from(boundary, 'latin1');
        if (part.subtype === 'digest') frame.childDefault = 'digest';
        part.parts = [];
      } else {
        // A multipart without a boundary cannot be split: read it as text (RFC 2046 §5.1.1).
        part.type = 'text';
        part.subtype = 'plain';
      }
    } else if (open && part.type === 'message' && (part.subtype === 'rfc822' || part.subtype === 'global') && IDENTITY_ENCODINGS.has(part.encoding)) {
      if (++this.parts > this.limits.maxParts) {
        return this.fail('MIME_PARTS', `the message has more than ${this.limits.maxParts} MIME parts`);
      }
      this.push({ part: emptyPart(bodyStart), inHeader: true, header: [], headerBytes: 0, lfAtBody: 0, isMessageRoot: true });
    }
  }

  /**
   * Closes a part whose body ends at `bodyEnd`; `lfs` is the count of LFs before that point
   * plus one when the body's last line has no end of line of its own.
   */
  private close(frame: Frame, bodyEnd: number, lfs: number): void {
    const part = frame.part;
    if (frame.inHeader) this.finishHeader(frame, Math.max(part.headerStart, bodyEnd), false);
    part.bodyEnd = Math.max(part.bodyStart, bodyEnd);
    part.bodyLines = part.bodyEnd > part.bodyStart ? Math.max(0, lfs - frame.lfAtBody) : 0;
    if (part.parts && part.parts.length === 0) {
      // A multipart with no delimiter at all: IMAP needs one part; its body is the whole content.
      const only = emptyPart(part.bodyStart);
      only.bodyEnd = part.bodyEnd;
      only.bodyLines = part.bodyLines;
      only.params = [['charset', 'us-ascii']];
      part.parts.push(only);
    }
    if (frame.isMessageRoot && frame !== this.root) {
      // The message inside a message/rfc822 part: attach it with its envelope.
      const parent = this.stack[this.stack.length - 1]!.part;
      parent.message = { envelope: buildEnvelope(frame.fields ?? []), root: part };
    }
  }

  private fail(check: MimeCheck, message: string): void {
    this.failure ??= new MimeStructureError(check, message);
  }
}

/** Reads the Content-* fields of a part into it (RFC 2045 defaults for what is missing). */
function describePart(part: MimePart, fields: readonly HeaderField[]): void {
  const contentType = firstField(fields, 'content-type');
  if (contentType !== null) {
    const parsed = parseStructured(contentType);
    const slash = parsed.value.indexOf('/');
    if (slash > 0 && slash < parsed.value.length - 1 && !/\s/.test(parsed.value)) {
      part.type = parsed.value.slice(0, slash);
      part.subtype = parsed.value.slice(slash + 1);
      part.params = parsed.params;
    } else {
      part.type = 'text';
      part.subtype = 'plain';
      part.params = [['charset', 'us-ascii']];
    }
  } else if (part.type === 'text') {
    part.params = [['charset', 'us-ascii']];
  }
  part.id = firstField(fields, 'content-id');
  part.description = firstField(fields, 'content-description');
  const encoding = firstField(fields, 'content-transfer-encoding');
  part.encoding = encoding ? encoding.trim().toLowerCase() || '7bit' : '7bit';
  part.md5 = firstField(fields, 'content-md5');
  const disposition = firstField(fields, 'content-disposition');
  if (disposition !== null && disposition !== '') {
    const parsed = parseStructured(disposition);
    part.disposition = { type: parsed.value, params: parsed.params };
  }
  const language = firstField(fields, 'content-language');
  if (language) part.language = language.split(',').map((l) => l.trim()).filter(Boolean);
  part.location = firstField(fields, 'content-location');
}

/** Indexes a whole message held in memory (tests, generated messages). */
export function indexMessage(message: Buffer, limits: Partial<MimeLimits> = {}): MimeIndex {
  const indexer = new MimeIndexer(limits);
  indexer.write(message);
  return indexer.end();
}
