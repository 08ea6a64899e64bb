/**
 * What a file is, by its content. A name or a Content-Type is the sender's claim; the bytes are
 * what a citizen's viewer will actually open, so the format rule looks at them only.
 */

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

/** Markup-looking text: the start of an HTML page, or an XML document. */
function markupKind(content: Buffer): 'html' | 'xml' | undefined {
  const start = startsWith(content, UTF8_BOM) ? 3 : 0;
  const head = content.subarray(start, start + 512).toString('latin1').trimStart();
  if (/^<(!doctype\s+html|html|head|body|script|iframe|meta|svg)\b/i.test(head)) return 'html';
  if (/^<(\?xml\s|!--|[A-Za-z_])/.test(head)) {
    // XHTML is still a web page for whoever opens it.
    return /<html[\s>]/i.test(head) ? 'html' : 'xml';
  }
  return undefined;
}

export function sniff(content: Buffer): FileKind {
  for (const [kind, signature] of SIGNATURES) {
    if (startsWith(content, signature)) return kind;
  }
  if (!isPlainText(content)) return 'binary';
  return markupKind(content) ?? 'txt';
}
