/**
 * BODY[section] (RFC 3501 §6.4.5): the section spec as the client wrote it, where its bytes are
 * in the stored message (from the MIME index's part offsets), and the bytes themselves, a
 * partial `<start.length>` applied. Large ranges are streamed from the blob store as the socket
 * takes them; small ones are read at once. Nothing here parses the message again.
 */
import type { BlobStore } from '../../store/types.js';
import type { MimeIndex, MimePart } from '../../mime/types.js';
import type { ImapOut, ImapValue, Partial, RangeReader } from '../protocol/values.js';

export type SectionText = 'HEADER' | 'HEADER.FIELDS' | 'HEADER.FIELDS.NOT' | 'TEXT' | 'MIME';

export interface Section {
  /** part numbers (`1.2` → [1, 2]); empty for the whole message */
  path: number[];
  text?: SectionText;
  /** HEADER.FIELDS(.NOT): the field names as the client wrote them */
  fields?: string[];
}

export class SectionSyntaxError extends Error {
  override name = 'SectionSyntaxError';
}

const INVALID = 'Section invalide / Invalid section';
const TEXTS = new Set<string>(['HEADER', 'HEADER.FIELDS', 'HEADER.FIELDS.NOT', 'TEXT', 'MIME']);
const NZ_NUMBER = /^[1-9][0-9]{0,9}$/;
const MAX_PART = 0xffffffff;
/** a header field name (RFC 5322 §3.6.8 ftext) */
const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+$/;

/** The contents of the brackets of `BODY[…]`, as the parser gives them. */
export function parseSection(values: readonly ImapValue[]): Section {
  if (values.length === 0) return { path: [] };
  const [first, second, ...rest] = values;
  if (first!.type !== 'atom' || first!.section || first!.partial) throw new SectionSyntaxError(INVALID);
  const path: number[] = [];
  const words = first!.value.toUpperCase().split('.');
  if (words.includes('')) throw new SectionSyntaxError(INVALID);
  while (words.length && NZ_NUMBER.test(words[0]!)) {
    const n = Number(words.shift());
    if (n > MAX_PART) throw new SectionSyntaxError('Numéro de partie trop grand / Part number too large');
    path.push(n);
  }
  const text = words.join('.');
  if (text === '') {
    if (second || path.length === 0) throw new SectionSyntaxError(INVALID);
    return { path };
  }
  if (!TEXTS.has(text)) throw new SectionSyntaxError(`Section inconnue ${text} / Unknown section ${text}`);
  if (text === 'MIME' && path.length === 0) throw new SectionSyntaxError('MIME demande un numéro de partie / MIME needs a part number');
  if (text === 'HEADER.FIELDS' || text === 'HEADER.FIELDS.NOT') {
    if (!second || second.type !== 'list' || second.items.length === 0 || rest.length) {
      throw new SectionSyntaxError(`${text} demande une liste de noms de champs / ${text} needs a list of header field names`);
    }
    const fields = second.items.map((item) => {
      const name = item.type === 'atom' && !item.section && !item.partial ? item.value : item.type === 'string' ? item.value.toString('latin1') : undefined;
      if (name === undefined || !FIELD_NAME.test(name)) throw new SectionSyntaxError('Nom de champ d’en-tête invalide / Invalid header field name');
      return name;
    });
    return { path, text, fields };
  }
  if (second) throw new SectionSyntaxError(INVALID);
  return { path, text: text as SectionText };
}

/** The section as the answer names it: `1.2.HEADER.FIELDS (FROM TO)`. */
export function sectionLabel(section: Section): string {
  let label = section.path.join('.');
  if (section.text) label += (label ? '.' : '') + section.text;
  if (section.fields) label += ` (${section.fields.map((f) => f.toUpperCase()).join(' ')})`;
  return label;
}

/** Sections the message's bytes give without its MIME index: the whole message. */
export function needsIndex(section: Section): boolean {
  return section.path.length > 0 || section.text !== undefined;
}

/** Where a section's bytes are: [start, end) of the stored message; header fields to keep. */
export interface Located {
  start: number;
  end: number;
  filter?: { names: Set<string>; not: boolean };
}

/**
 * The part a path names (RFC 3501 §6.4.5): a multipart's children count from 1; a part that
 * holds a message is entered when a number follows it; anything else has only part 1, itself.
 */
function partAt(root: MimePart, path: readonly number[]): MimePart | undefined {
  let part = root;
  for (let i = 0; i < path.length; i++) {
    const n = path[i]!;
    const inside = i > 0 && part.message ? part.message.root : part;
    if (inside.parts) {
      const child = inside.parts[n - 1];
      if (!child) return undefined;
      part = child;
    } else if (n === 1) {
      part = inside;
    } else {
      return undefined;
    }
  }
  return part;
}

/**
 * Where the section is in the message; undefined when the message has no such part, or when
 * HEADER/TEXT name a part that is not a message (RFC 3501 allows them only there).
 * `index` may be absent for the whole message (`needsIndex` false).
 */
export function locate(index: MimeIndex | undefined, size: number, section: Section): Located | undefined {
  if (!needsIndex(section)) return { start: 0, end: size };
  if (!index) throw new Error('locate: this section needs the MIME index');
  const part = partAt(index.root, section.path);
  if (!part) return undefined;
  if (section.text === undefined) return { start: part.bodyStart, end: part.bodyEnd };
  if (section.text === 'MIME') return { start: part.headerStart, end: part.bodyStart };
  // HEADER and TEXT: of the message itself, or of the message a message/rfc822 part holds.
  const message = section.path.length === 0 ? index.root : part.message?.root;
  if (!message) return undefined;
  if (section.text === 'TEXT') return { start: message.bodyStart, end: message.bodyEnd };
  const header = { start: message.headerStart, end: message.bodyStart };
  if (section.text === 'HEADER') return header;
  return { ...header, filter: { names: new Set(section.fields!.map((f) => f.toLowerCase())), not: section.text === 'HEADER.FIELDS.NOT' } };
}

const CR = 0x0d;
const LF = 0x0a;
const CRLF = Buffer.from('\r\n');

/**
 * The fields of a header block whose names are (or, with `not`, are not) among `names`, each
 * with its folded lines, then the blank line that ends a header (RFC 3501: it is part of the
 * subset). Lines before the first field or without a colon count as fields of their own.
 */
export function filterHeader(block: Buffer, names: ReadonlySet<string>, not: boolean): Buffer {
  let end = block.length;
  // The blank line is added back once, whatever the block ended with.
  if (end >= 2 && block[end - 1] === LF && block[end - 2] === CR && (end === 2 || block[end - 3] === LF)) end -= 2;
  const kept: Buffer[] = [];
  let fieldStart = 0;
  let keep = false;
  let at = 0;
  while (at < end) {
    const lf = block.indexOf(LF, at);
    const lineEnd = lf === -1 || lf >= end ? end : lf + 1;
    const first = block[at];
    if (first !== 0x20 && first !== 0x09) {
      // A new field: the previous one is complete.
      if (keep && at > fieldStart) kept.push(block.subarray(fieldStart, at));
      fieldStart = at;
      const colon = block.indexOf(0x3a, at);
      const name = colon === -1 || colon >= lineEnd ? '' : block.toString('latin1', at, colon).replace(/[ \t]+$/, '').toLowerCase();
      keep = names.has(name) !== not;
    }
    at = lineEnd;
  }
  if (keep && end > fieldStart) kept.push(block.subarray(fieldStart, end));
  const last = kept[kept.length - 1];
  // A last field without its own end of line (a header that ends the message) gets one.
  if (last && last[last.length - 1] !== LF) kept.push(CRLF);
  kept.push(CRLF);
  return Buffer.concat(kept);
}

/**
 * Ranges at least this long are streamed: the writer reads them into its own buffers when its
 * turn comes (no buffer per message, no copy); shorter ones are read in one go.
 */
export const STREAM_FROM = 4 * 1024;

/** The range [start, end) of a blob as positional reads counted from `start`. */
function rangeReader(blobs: BlobStore, blobId: string, start: number): () => Promise<RangeReader> {
  return async () => {
    const blob = await blobs.open(blobId);
    return { read: (into, offset, length, position) => blob.read(into, offset, length, start + position), close: () => blob.close() };
  };
}

/**
 * The bytes of a located section as an answer value, partial applied (`<start.length>`: from
 * `start`, at most `length` bytes; past the end, nothing).
 */
export async function sectionData(
  blobs: BlobStore,
  blobId: string,
  located: Located,
  partial?: Partial,
  /** header blocks already read for this message (`start:end` → bytes), shared by its HEADER.FIELDS items */
  blocks?: Map<string, Promise<Buffer>>,
): Promise<ImapOut> {
  if (located.filter) {
    const key = `${located.start}:${located.end}`;
    let read = blocks?.get(key);
    if (!read) {
      read = blobs.read(blobId, { start: located.start, end: located.end });
      blocks?.set(key, read);
    }
    const block = await read;
    let bytes = filterHeader(block, located.filter.names, located.filter.not);
    if (partial) bytes = bytes.subarray(Math.min(partial.start, bytes.length), Math.min(partial.start + partial.length, bytes.length));
    return { t: 'literal', v: bytes };
  }
  let { start, end } = located;
  if (partial) {
    start = Math.min(start + partial.start, end);
    end = Math.min(start + partial.length, end);
  }
  const length = end - start;
  if (length <= 0) return { t: 'literal', v: Buffer.alloc(0) };
  if (length >= STREAM_FROM) return { t: 'stream', length, open: () => blobs.stream(blobId, { start, end }), reader: rangeReader(blobs, blobId, start) };
  return { t: 'literal', v: await blobs.read(blobId, { start, end }) };
}
