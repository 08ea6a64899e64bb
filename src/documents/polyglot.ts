/**
 * Files that are two formats at once (polyglots): a PDF that is also a zip or a web page, a JPEG
 * with a zip appended. Each program opens the part it understands, so what was checked is not
 * what runs. Only real structures count — a zip's directory pointing at its local headers, an
 * HTML tag, a PDF's header and trailer — never a stray pair of bytes: compressed data holds
 * "PK" or "<" by chance, and a real PDF must not be refused for it.
 */

/** What else a file can be read as, besides what its first bytes say. */
export type HiddenFormat = 'zip' | 'html' | 'pdf';

const LOCAL_HEADER = Buffer.from('PK\x03\x04', 'latin1');
const CENTRAL_HEADER = 0x02014b50;
const END_OF_DIRECTORY = Buffer.from('PK\x05\x06', 'latin1');
const ZIP64_LOCATOR = 0x07064b50;
/** The end-of-central-directory record is at most its 22 bytes plus a 65535-byte comment from the end. */
const EOCD_REACH = 22 + 0xffff;
/** Compression methods of APPNOTE.TXT 4.4.5 that archivers write: stored, deflate, deflate64, bzip2, LZMA, zstd, xz, PPMd, AES. */
const METHODS = new Set([0, 8, 9, 12, 14, 93, 95, 98, 99]);
/** Candidates examined at most: hostile input full of signatures stays cheap. */
const MAX_CANDIDATES = 4096;

/** A central directory that ends at its end record and whose first entry points at a local header. */
function hasZipDirectory(content: Buffer): boolean {
  const floor = Math.max(0, content.length - EOCD_REACH);
  let candidates = 0;
  for (let at = content.lastIndexOf(END_OF_DIRECTORY); at >= floor && candidates < MAX_CANDIDATES; at = at > 0 ? content.lastIndexOf(END_OF_DIRECTORY, at - 1) : -1, candidates++) {
    if (at + 22 > content.length) continue;
    const entries = content.readUInt16LE(at + 10);
    const size = content.readUInt32LE(at + 12);
    const offset = content.readUInt32LE(at + 16);
    const commentEnd = at + 22 + content.readUInt16LE(at + 20);
    if (entries === 0 || commentEnd > content.length) continue;
    // Zip64 puts the real values elsewhere; its locator right before the record is structure enough.
    if ((entries === 0xffff || size === 0xffffffff || offset === 0xffffffff) && at >= 20 && content.readUInt32LE(at - 20) === ZIP64_LOCATOR) return true;
    const directory = at - size;
    if (size < 46 || directory < 0 || content.readUInt32LE(directory) !== CENTRAL_HEADER) continue;
    // Bytes before the zip (the PDF or the image) shift every offset: readers allow for that shift.
    const shift = directory - offset;
    const local = content.readUInt32LE(directory + 42);
    if ([local, local + shift].some((o) => o >= 0 && o + 4 <= content.length && content.readUInt32LE(o) === LOCAL_HEADER.readUInt32LE(0))) return true;
  }
  return false;
}

/** A local file header whose fields all make sense: what a reader scanning for entries extracts. */
function isLocalHeader(content: Buffer, at: number): boolean {
  if (at + 30 > content.length) return false;
  const version = content.readUInt16LE(at + 4);
  const flags = content.readUInt16LE(at + 6);
  const method = content.readUInt16LE(at + 8);
  const compressed = content.readUInt32LE(at + 18);
  const nameLength = content.readUInt16LE(at + 26);
  const extraLength = content.readUInt16LE(at + 28);
  if (version > 63 || (flags & 0xd000) !== 0 || !METHODS.has(method) || nameLength === 0 || nameLength > 1024) return false;
  const dataStart = at + 30 + nameLength + extraLength;
  if (dataStart > content.length) return false;
  // Sizes come after the data when bit 3 is set; otherwise the data must fit in the file.
  if ((flags & 0x08) === 0 && dataStart + compressed > content.length) return false;
  const name = content.subarray(at + 30, at + 30 + nameLength);
  return name.every((byte) => byte >= 0x20 && byte !== 0x7f) && Buffer.from(name.toString('utf8'), 'utf8').equals(name);
}

function hasLocalHeader(content: Buffer): boolean {
  let candidates = 0;
  for (let at = content.indexOf(LOCAL_HEADER); at !== -1 && candidates < MAX_CANDIDATES; at = content.indexOf(LOCAL_HEADER, at + 1), candidates++) {
    if (isLocalHeader(content, at)) return true;
  }
  return false;
}

/** True when a zip reader would find an archive in the content, wherever it sits. */
export function containsZip(content: Buffer): boolean {
  return hasZipDirectory(content) || hasLocalHeader(content);
}

/** Tags that make a browser run or frame content; no image or PDF has them in its bytes. */
const ACTIVE_MARKUP = /<(?:!doctype\s+html|html|script|iframe|frameset|object|embed|svg)[\s>/]/i;

export function containsHtml(content: Buffer): boolean {
  return ACTIVE_MARKUP.test(content.toString('latin1'));
}

/** What PDF readers accept as a PDF: the header in the first 1024 bytes, %%EOF in the last 1024. */
export function containsPdf(content: Buffer): boolean {
  const header = content.subarray(0, 1024).indexOf('%PDF-', 0, 'latin1');
  return header !== -1 && content.subarray(Math.max(header + 5, content.length - 1024)).includes('%%EOF', 0, 'latin1');
}
