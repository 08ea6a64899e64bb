/**
 * What a file is, by its content. A name or a Content-Type is the sender's claim; the bytes are
 * what a citizen's viewer will actually open, so the format rule looks at them only.
 */
import { containsHtml, containsPdf, containsZip, type HiddenFormat } from './polyglot.js';

export type { HiddenFormat } from './polyglot.js';

export type FileKind =
  | 'pdf'
  | 'jpeg'
  | 'png'
  | 'tiff'
  | 'rtf'
  | 'txt'
  | 'zip'
  | 'xml'
  | 'html'
  | 'gif'
  | 'windows-executable'
  | 'elf-executable'
  | 'binary';

export const KIND_NAMES: Readonly<Record<FileKind, string>> = {
  pdf: 'PDF',
  jpeg: 'JPEG image',
  png: 'PNG image',
  tiff: 'TIFF image',
  rtf: 'RTF text',
  txt: 'plain text',
  zip: 'zip archive',
  xml: 'XML',
  html: 'HTML',
  gif: 'GIF image',
  'windows-executable': 'Windows executable',
  'elf-executable': 'ELF executable',
  binary: 'unrecognised binary data',
};

/** What a citizen may receive besides CDA documents. */
export const CITIZEN_FORMATS: ReadonlySet<FileKind> = new Set(['pdf', 'jpeg', 'png', 'tiff', 'txt', 'rtf']);

const SIGNATURES: ReadonlyArray<readonly [FileKind, readonly number[]]> = [
  ['pdf', [0x25, 0x50, 0x44, 0x46, 0x2d]], // %PDF-
  ['jpeg', [0xff, 0xd8, 0xff]],
  ['png', [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
  ['tiff', [0x49, 0x49, 0x2a, 0x00]], // little-endian
  ['tiff', [0x4d, 0x4d, 0x00, 0x2a]], // big-endian
  ['rtf', [0x7b, 0x5c, 0x72, 0x74, 0x66]], // {\rtf
  ['zip', [0x50, 0x4b, 0x03, 0x04]],
  ['zip', [0x50, 0x4b, 0x05, 0x06]], // an empty archive
  ['gif', [0x47, 0x49, 0x46, 0x38]], // GIF8
  ['windows-executable', [0x4d, 0x5a]], // MZ
  ['elf-executable', [0x7f, 0x45, 0x4c, 0x46]],
];

const UTF8_BOM = [0xef, 0xbb, 0xbf];

function startsWith(content: Buffer, bytes: readonly number[]): boolean {
  return content.length >= bytes.length && bytes.every((byte, i) => content[i] === byte);
}

/**
 * Text is bytes without control characters other than tab, LF, FF and CR. That one rule covers
 * UTF-8 (its multi-byte sequences never use bytes below 0x80) and Latin-1/Windows-1252 alike.
 */
function isPlainText(content: Buffer): boolean {
  for (let i = 0; i < content.length; i++) {
    const byte = content[i]!;
    if (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0c && byte !== 0x0d) return false;
    if (byte === 0x7f) return false;
  }
  return true;
}

/** Markup-looking text: the start of an HTML page, or an XML document (a declaration, a PI, a comment, an element). */
function markupKind(head: string): 'html' | 'xml' | undefined {
  const start = head.replace(/^\ufeff/, '').trimStart();
  if (/^<(!doctype\s+html|html|head|body|script|iframe|meta|svg)\b/i.test(start)) return 'html';
  if (/^<(\?|!--|[A-Za-z_])/.test(start)) {
    // XHTML is still a web page for whoever opens it.
    return /<html[\s>]/i.test(start) ? 'html' : 'xml';
  }
  return undefined;
}

/** The byte order of UTF-16 text, told by its byte order mark (or an XML declaration written in UTF-16). */
function utf16Order(content: Buffer): 'utf-16le' | 'utf-16be' | undefined {
  const [a, b, c, d] = content;
  // UTF-32's little-endian mark starts like UTF-16's: that is not text we read.
  if ((a === 0xff && b === 0xfe && !(c === 0 && d === 0)) || (a === 0x3c && b === 0 && c === 0x3f && d === 0)) return 'utf-16le';
  if ((a === 0xfe && b === 0xff) || (a === 0 && b === 0x3c && c === 0 && d === 0x3f)) return 'utf-16be';
  return undefined;
}

export function sniff(content: Buffer): FileKind {
  for (const [kind, signature] of SIGNATURES) {
    if (startsWith(content, signature)) return kind;
  }
  const order = utf16Order(content);
  if (order !== undefined) {
    // The whole file must be text, not only its head: a byte order mark is two easy bytes.
    const text = content.length % 2 === 0 ? new TextDecoder(order).decode(content) : '\ufffd';
    if (/[\u0000-\u0008\u000b\u000e-\u001f\u007f\ufffd]/.test(text)) return 'binary';
    return markupKind(text.slice(0, 512)) ?? 'txt';
  }
  if (!isPlainText(content)) return 'binary';
  const start = startsWith(content, UTF8_BOM) ? 3 : 0;
  return markupKind(content.subarray(start, start + 512).toString('latin1')) ?? 'txt';
}

/** The hidden formats, as refusals name them. */
export const HIDDEN_NAMES: Readonly<Record<HiddenFormat, string>> = { zip: 'a zip archive', pdf: 'a PDF', html: 'an HTML page' };

/** Formats whose bytes no browser reads as a page: markup in them is a page hidden in the file. */
const BINARY_DOCUMENTS: ReadonlySet<FileKind> = new Set(['pdf', 'jpeg', 'png', 'tiff', 'gif']);

/**
 * The second format of a polyglot file of the given kind (what sniff says), or undefined for an
 * ordinary file: a zip structure in anything but a zip, a PDF in anything but a PDF, active HTML
 * in a PDF or an image. A zip is left to the zip and XDM checks, which read it entry by entry.
 */
export function hiddenFormat(content: Buffer, kind: FileKind = sniff(content)): HiddenFormat | undefined {
  if (kind === 'zip') return undefined;
  if (containsZip(content)) return 'zip';
  if (kind !== 'pdf' && containsPdf(content)) return 'pdf';
  if (BINARY_DOCUMENTS.has(kind) && containsHtml(content)) return 'html';
  return undefined;
}
