/**
 * Every part of a message that could carry a document, wherever it sits in the MIME tree and
 * whatever it declares: the document checks judge content, so they must see all of it. Beside
 * the ordinary attachments, that is
 * - the parts of forwarded messages (message/rfc822 or message/global), also when they are
 *   attachments or base64-encoded, which mail parsers leave as one opaque file; read in turn,
 *   down to a bounded depth;
 * - inline text parts whose content is a CDA or a zip, which parsers fold into the message text
 *   (the message's own text is left out: it is not a file);
 * - uuencoded files, as a Content-Transfer-Encoding (x-uuencode) or as blocks in a text body;
 * - and, refused by the checks, any part whose encoding cannot be undone.
 *
 * The message is read as it streams (the same splitter mailparser uses), holding only the
 * decoded parts, as the parser beside it does.
 */
import type { Readable } from 'node:stream';
import { Splitter, type MimeNode } from '@zone-eu/mailsplit';
import { claimsToBeCda } from '../documents/cda.js';
import type { Attachment } from '../documents/check.js';
import { decodeQuotedPrintable } from '../mime/transfer.js';
import { sniff } from '../documents/sniff.js';
import { decodeWords, firstField, headerText, parseHeaderFields } from '../mime/header.js';

export interface PartLimits {
  /** forwarded messages read inside each other (encoded or attached ones: inline ones are part of the message) */
  maxNesting: number;
  /** parts read in all, forwarded messages included */
  maxParts: number;
}

export const DEFAULT_PART_LIMITS: Readonly<PartLimits> = Object.freeze({ maxNesting: 5, maxParts: 2000 });

export interface MessageParts {
  /** what the document checks see, in message order */
  attachments: Attachment[];
  /** decoded bytes of the message's own files (a forwarded message counts once, as the file it is) */
  attachmentBytes: number;
}

/** Types a mail reader shows as the message's text when they are inline (as mailparser does). */
const TEXT_TYPES = new Set(['text/plain', 'text/html', 'message/delivery-status']);
const MESSAGE_TYPES = new Set(['message/rfc822', 'message/global']);
const IDENTITY = new Set(['', '7bit', '8bit', 'binary']);
const UUENCODE = new Set(['x-uuencode', 'uuencode', 'x-uue', 'uue']);

interface Leaf {
  node: MimeNode;
  chunks: Buffer[];
}

/**
 * Splits one message into its leaf parts, handing each to `onLeaf` with its raw (still encoded)
 * body as soon as it is complete: only one raw body is held at a time.
 */
async function splitLeaves(source: Readable | Buffer, onLeaf: (leaf: Leaf) => void): Promise<void> {
  const splitter = new Splitter();
  let current: Leaf | undefined;
  const finish = () => {
    if (current) onLeaf(current);
    current = undefined;
  };
  const done = new Promise<void>((resolve, reject) => {
    splitter.on('data', (data: MimeNode | { type: 'data' | 'body'; node: MimeNode; value: Buffer }) => {
      try {
        if (data.type === 'node') {
          finish();
          const node = data as MimeNode;
          // Containers hold parts, not content: a multipart, or a message read inline.
          if (!node.multipart && !node.messageNode) current = { node, chunks: [] };
        } else if (data.type === 'body' && current && data.node === current.node) {
          current.chunks.push(data.value);
        }
      } catch (error) {
        splitter.destroy(error instanceof Error ? error : new Error(String(error)));
      }
    });
    // The typings declare only 'data'; the splitter is a Transform and ends or fails as one.
    const stream = splitter as unknown as NodeJS.EventEmitter;
    stream.once('end', () => {
      try {
        finish();
        resolve();
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
    stream.once('error', reject);
  });
  if (Buffer.isBuffer(source)) {
    splitter.end(source);
  } else {
    source.once('error', (error) => splitter.destroy(error));
    source.pipe(splitter);
  }
  await done;
}

/** One uuencoded line: a length character, then 4 characters for each 3 bytes. */
function uudecodeLine(line: string): Buffer | undefined {
  if (line === '') return Buffer.alloc(0);
  const length = (line.charCodeAt(0) - 32) & 0x3f;
  const body = line.slice(1);
  if (/[^\u0020-\u0060]/.test(body)) return undefined;
  // Some writers trim the trailing spaces (zeros): pad them back.
  const chars = body.padEnd(Math.ceil(length / 3) * 4, ' ');
  const out = Buffer.alloc(Math.ceil(length / 3) * 3);
  for (let i = 0, o = 0; o < out.length; i += 4, o += 3) {
    const [a, b, c, d] = [0, 1, 2, 3].map((k) => (chars.charCodeAt(i + k) - 32) & 0x3f) as [number, number, number, number];
    out[o] = (a << 2) | (b >> 4);
    out[o + 1] = ((b & 0xf) << 4) | (c >> 2);
    out[o + 2] = ((c & 0x3) << 6) | d;
  }
  return out.subarray(0, length);
}

const BEGIN = /^begin(-base64)? [0-7]{3,4} (.+)$/;

/** A uuencoded file (uuencode(1): "begin MODE NAME", lines, "end"; or -m: base64 up to "===="), from `start`. */
function uudecodeAt(lines: readonly string[], start: number): { name: string; content: Buffer; next: number } | undefined {
  const begin = BEGIN.exec(lines[start]!);
  if (!begin) return undefined;
  const base64 = begin[1] !== undefined;
  const chunks: Buffer[] = [];
  const text: string[] = [];
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (base64 ? line === '====' : line === 'end') return { name: begin[2]!.trim(), content: base64 ? Buffer.from(text.join(''), 'base64') : Buffer.concat(chunks), next: i + 1 };
    if (base64) {
      text.push(line);
      continue;
    }
    const decoded = uudecodeLine(line);
    if (!decoded) return undefined;
    chunks.push(decoded);
  }
  return undefined;
}

function textLines(content: Buffer): string[] {
  return content.toString('latin1').split(/\r?\n/);
}

/** The uuencoded files in a text (each "begin … end" block). */
function uuencodedFiles(content: Buffer): { name: string; content: Buffer }[] {
  // Cheap test first: most texts have no "begin " line at all.
  if (!/(^|\n)begin(-base64)? [0-7]{3,4} /.test(content.toString('latin1'))) return [];
  const lines = textLines(content);
  const files: { name: string; content: Buffer }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const file = uudecodeAt(lines, i);
    if (file) {
      files.push({ name: file.name, content: file.content });
      i = file.next - 1;
    }
  }
  return files;
}

type Decoded = { ok: true; content: Buffer; filename?: string } | { ok: false; reason: string };

function decode(leaf: Leaf): Decoded {
  const raw = Buffer.concat(leaf.chunks);
  const encoding = (leaf.node.encoding || '').toLowerCase();
  if (IDENTITY.has(encoding)) return { ok: true, content: raw };
  if (encoding === 'base64') return { ok: true, content: Buffer.from(raw.toString('latin1'), 'base64') };
  if (encoding === 'quoted-printable') return { ok: true, content: decodeQuotedPrintable(raw) };
  if (UUENCODE.has(encoding)) {
    const lines = textLines(raw);
    const start = lines.findIndex((line) => BEGIN.test(line));
    const file = start === -1 ? undefined : uudecodeAt(lines, start);
    return file ? { ok: true, content: file.content, filename: file.name } : { ok: false, reason: 'the part is declared x-uuencode but is not valid uuencoded data' };
  }
  return { ok: false, reason: `the part's Content-Transfer-Encoding ${JSON.stringify(encoding.slice(0, 40))} is not one the gateway can decode` };
}

/** The header block at the start of a content, when it has one (up to 64 KiB). */
function headerBlock(content: Buffer): string[] | undefined {
  const head = content.subarray(0, 64 * 1024).toString('latin1');
  const end = head.search(/\r?\n\r?\n/);
  return end > 0 ? head.slice(0, end).split(/\r?\n/) : undefined;
}

/**
 * A message by its look: a header block of well-formed fields, naming its content (Content-Type
 * or MIME-Version) — what a mail program opens as a message, whatever it was sent as.
 */
function looksLikeMessage(content: Buffer): boolean {
  const lines = headerBlock(content);
  if (!lines || !lines.every((line) => /^[!-9;-~]+:/.test(line) || /^[ \t]/.test(line))) return false;
  return lines.some((line) => /^(content-type|mime-version):/i.test(line));
}

function subjectOf(raw: string | null | undefined): string | undefined {
  const subject = raw ? decodeWords(raw).trim() : '';
  return subject ? `forwarded message ${JSON.stringify(subject.slice(0, 80))}` : undefined;
}

/** Names a forwarded message in refusals: its file name, or its subject. */
function describeMessage(filename: string | false | undefined, subject: string | undefined): string {
  return filename ? `forwarded message ${JSON.stringify(filename)}` : (subject ?? 'a forwarded message');
}

/** The root node of the message inside an inline message/rfc822 part, found from a node below it. */
function childMessageRoot(container: MimeNode, below: MimeNode): MimeNode | undefined {
  for (let node: MimeNode | false = below; node; node = node.parentNode) {
    if (node.parentNode === container) return node;
  }
  return undefined;
}

/** Where a leaf sits: inside the inline forwarded messages between it and the message read. */
function withinOf(node: MimeNode, outer: string | undefined): string | undefined {
  const names: string[] = [];
  for (let parent = node.parentNode; parent; parent = parent.parentNode) {
    if (!parent.messageNode) continue;
    const root = childMessageRoot(parent, node);
    const subject = root?.headers ? subjectOf(root.headers.getFirst('subject')) : undefined;
    names.unshift(describeMessage(parent.filename, subject));
  }
  const all = [...(outer ? [outer] : []), ...names];
  return all.length ? all.join(' › ') : undefined;
}

/** The parts found, in message order: a forwarded message's parts sit where the message sat. */
type Found = Array<Attachment | Found>;

/** A forwarded message found in a leaf: read once the message around it has been split. */
interface Forwarded {
  content: Buffer;
  filename: string | undefined;
  within: string | undefined;
  slot: Found;
}

function flatten(found: Found, into: Attachment[] = []): Attachment[] {
  for (const item of found) {
    if (Array.isArray(item)) flatten(item, into);
    else into.push(item);
  }
  return into;
}

class PartReader {
  readonly found: Found = [];
  attachmentBytes = 0;
  private parts = 0;

  constructor(private readonly limits: PartLimits) {}

  get attachments(): Attachment[] {
    return flatten(this.found);
  }

  /** Reads one message's leaves; `depth` counts the forwarded messages it sits in. */
  async read(source: Readable | Buffer, depth: number, within: string | undefined, slot: Found): Promise<void> {
    const forwarded: Forwarded[] = [];
    try {
      await splitLeaves(source, (leaf) => this.take(leaf, depth, within, slot, forwarded));
    } catch (error) {
      // The outer message is the stored one: its structure errors are the MIME index's to refuse.
      if (depth === 0) throw error;
      this.unreadable(slot, 'MIME_NESTING', `${within ?? 'a forwarded message'} cannot be read (${error instanceof Error ? error.message.slice(0, 100) : 'invalid'})`, within);
      return;
    }
    for (const message of forwarded) await this.forwarded(message, depth);
  }

  private unreadable(slot: Found, check: 'MIME_ENCODING' | 'MIME_NESTING', reason: string, within: string | undefined, filename?: string): void {
    slot.push({ contentType: 'application/octet-stream', content: Buffer.alloc(0), unreadable: { check, reason }, ...(filename ? { filename } : {}), ...(within ? { within } : {}) });
  }

  /** One leaf, decoded at once (its raw body is dropped); forwarded messages are noted for later. */
  private take(leaf: Leaf, depth: number, outer: string | undefined, parent: Found, forwarded: Forwarded[]): void {
    const node = leaf.node;
    if (++this.parts > this.limits.maxParts) {
      if (this.parts === this.limits.maxParts + 1) this.unreadable(parent, 'MIME_NESTING', `the message and the messages forwarded in it have more than ${this.limits.maxParts} parts`, outer);
      return;
    }
    const within = withinOf(node, outer);
    const contentType = node.contentType || 'text/plain';
    const filename = node.filename || undefined;
    const isText = TEXT_TYPES.has(contentType) && (!node.disposition || node.disposition === 'inline');
    const decoded = decode(leaf);
    leaf.chunks = [];
    if (!decoded.ok) {
      this.unreadable(parent, 'MIME_ENCODING', decoded.reason, within, filename);
      return;
    }
    const content = decoded.content;
    const name = filename ?? decoded.filename;
    if (depth === 0 && !isText) this.attachmentBytes += content.length;
    const later = (): void => {
      const slot: Found = [];
      parent.push(slot);
      forwarded.push({ content, filename, within, slot });
    };

    if (MESSAGE_TYPES.has(contentType)) return later();
    if (isText) {
      // The message's text is not a file, unless it holds one: a document, an archive, a message, uuencoded files.
      if (claimsToBeCda(content) || sniff(content) === 'zip') {
        this.push(parent, { contentType, content, within, ...(name ? { filename: name } : {}) });
      } else if (looksLikeMessage(content)) {
        later();
      } else if (contentType === 'text/plain') {
        for (const file of uuencodedFiles(content)) {
          if (depth === 0) this.attachmentBytes += file.content.length;
          this.push(parent, { contentType: 'application/octet-stream', content: file.content, filename: file.name, within });
        }
      }
      return;
    }
    this.push(parent, { contentType, content, within, ...(name ? { filename: name } : {}) });
    // A file that is a message (an .eml sent as octet-stream) is opened as one: its parts count too.
    if (looksLikeMessage(content)) later();
  }

  private async forwarded(message: Forwarded, depth: number): Promise<void> {
    const lines = headerBlock(message.content);
    const subject = lines ? subjectOf(firstField(parseHeaderFields(headerText(Buffer.from(lines.join('\r\n'), 'latin1'))), 'subject')) : undefined;
    const description = describeMessage(message.filename, subject);
    const here = message.within ? `${message.within} › ${description}` : description;
    if (depth + 1 > this.limits.maxNesting) {
      this.unreadable(message.slot, 'MIME_NESTING', `${here} is nested in more than ${this.limits.maxNesting} forwarded messages`, message.within);
      return;
    }
    await this.read(message.content, depth + 1, here, message.slot);
  }

  private push(slot: Found, attachment: { contentType: string; content: Buffer; filename?: string; within: string | undefined }): void {
    const { within, ...rest } = attachment;
    slot.push(within ? { ...rest, within } : rest);
  }
}

/** Reads the parts of a message as it streams in. */
export async function readParts(message: Readable | Buffer, limits: Partial<PartLimits> = {}): Promise<MessageParts> {
  const reader = new PartReader({ ...DEFAULT_PART_LIMITS, ...limits });
  await reader.read(message, 0, undefined, reader.found);
  return { attachments: reader.attachments, attachmentBytes: reader.attachmentBytes };
}
