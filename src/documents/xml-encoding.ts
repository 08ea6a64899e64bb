/**
 * The character encoding of an XML file, read the way XML 1.0 (§4.3.3 and appendix F) says: the
 * byte order mark and the first bytes give the family (UTF-8, UTF-16 LE or BE), the XML
 * declaration names the encoding, and both must agree with each other and with the bytes. A file
 * whose bytes are not what it declares is refused rather than guessed: a title or a patient name
 * read in the wrong encoding would be filed wrong, silently.
 */
import iconv from 'iconv-lite';
import { invalid, quote } from './problem.js';

/** The encodings a CDA may use: the CI-SIS's UTF-8, and what French software still writes. */
type Encoding = 'UTF-8' | 'UTF-16' | 'UTF-16LE' | 'UTF-16BE' | 'ISO-8859-1' | 'ISO-8859-15' | 'windows-1252' | 'US-ASCII';

const SUPPORTED = 'UTF-8, UTF-16, ISO-8859-1, ISO-8859-15 or windows-1252';

/** IANA names and the aliases met in the field, lower-cased. */
const NAMES: ReadonlyMap<string, Encoding> = new Map([
  ...['utf-8', 'utf8'].map((n) => [n, 'UTF-8'] as const),
  ...['utf-16', 'utf16', 'csunicode', 'iso-10646-ucs-2', 'ucs-2'].map((n) => [n, 'UTF-16'] as const),
  ['utf-16le', 'UTF-16LE'],
  ['utf-16be', 'UTF-16BE'],
  ...['iso-8859-1', 'iso8859-1', 'iso_8859-1', 'iso_8859-1:1987', 'latin1', 'latin-1', 'l1', 'iso-ir-100', 'ibm819', 'cp819', 'csisolatin1'].map(
    (n) => [n, 'ISO-8859-1'] as const,
  ),
  ...['iso-8859-15', 'iso8859-15', 'iso_8859-15', 'latin-9', 'latin9', 'l9', 'csisolatin9'].map((n) => [n, 'ISO-8859-15'] as const),
  ...['windows-1252', 'cp1252', 'x-cp1252', 'cswindows1252'].map((n) => [n, 'windows-1252'] as const),
  ...['us-ascii', 'ascii', 'iso646-us', 'ansi_x3.4-1968', 'us', 'csascii'].map((n) => [n, 'US-ASCII'] as const),
]);

type Family = 'ascii-compatible' | 'utf-8-bom' | 'utf-16le' | 'utf-16be';

interface Start {
  family: Family;
  /** bytes of byte order mark to skip */
  bom: number;
  /** said in refusals: what the first bytes show */
  shown: string;
}

function startsWith(content: Buffer, bytes: readonly number[]): boolean {
  return content.length >= bytes.length && bytes.every((byte, i) => content[i] === byte);
}

/** The encoding family from the byte order mark or, without one, from how '<?' is written. */
function detectStart(content: Buffer): Start {
  // UTF-32 first: its little-endian mark begins like UTF-16's.
  if (startsWith(content, [0xff, 0xfe, 0x00, 0x00]) || startsWith(content, [0x00, 0x00, 0xfe, 0xff]) || startsWith(content, [0x3c, 0, 0, 0]) || startsWith(content, [0, 0, 0, 0x3c])) {
    throw invalid('XML_ENCODING', `the XML is encoded in UTF-32, which is not accepted; use ${SUPPORTED}`);
  }
  if (startsWith(content, [0x4c, 0x6f, 0xa7, 0x94])) {
    throw invalid('XML_ENCODING', `the XML is encoded in EBCDIC, which is not accepted; use ${SUPPORTED}`);
  }
  if (startsWith(content, [0xef, 0xbb, 0xbf])) return { family: 'utf-8-bom', bom: 3, shown: 'starts with a UTF-8 byte order mark' };
  if (startsWith(content, [0xff, 0xfe])) return { family: 'utf-16le', bom: 2, shown: 'starts with a UTF-16 little-endian byte order mark' };
  if (startsWith(content, [0xfe, 0xff])) return { family: 'utf-16be', bom: 2, shown: 'starts with a UTF-16 big-endian byte order mark' };
  if (startsWith(content, [0x3c, 0x00, 0x3f, 0x00])) return { family: 'utf-16le', bom: 0, shown: 'is written in UTF-16 little-endian (without byte order mark)' };
  if (startsWith(content, [0x00, 0x3c, 0x00, 0x3f])) return { family: 'utf-16be', bom: 0, shown: 'is written in UTF-16 big-endian (without byte order mark)' };
  return { family: 'ascii-compatible', bom: 0, shown: 'has no UTF-16 byte order mark' };
}

function decodeUtf16(bytes: Buffer, littleEndian: boolean): string | undefined {
  try {
    return new TextDecoder(littleEndian ? 'utf-16le' : 'utf-16be', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** The encoding name of the XML declaration, if the file starts with one that has it. */
function declaredName(content: Buffer, start: Start): string | undefined {
  const head = content.subarray(start.bom, start.bom + 512);
  const text = start.family === 'utf-16le' || start.family === 'utf-16be' ? new TextDecoder(start.family).decode(head.subarray(0, head.length & ~1)) : head.toString('latin1');
  return /^<\?xml\s[^>]*?\bencoding\s*=\s*(?:"([^"]*)"|'([^']*)')/.exec(text)?.slice(1).find((name) => name !== undefined);
}

/** Offset of the first byte that breaks UTF-8 (RFC 3629: no overlongs, surrogates or > U+10FFFF), -1 if none. */
export function firstInvalidUtf8(bytes: Buffer): number {
  for (let i = 0; i < bytes.length; ) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    const length = lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
    if (length === 0) return i;
    // The second byte's range is narrower after E0, ED, F0 and F4 (overlongs, surrogates, too high).
    const low = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
    const high = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
    for (let k = 1; k < length; k++) {
      const byte = bytes[i + k];
      if (byte === undefined || byte < (k === 1 ? low : 0x80) || byte > (k === 1 ? high : 0xbf)) return i;
    }
    i += length;
  }
  return -1;
}

function hex(byte: number): string {
  return `0x${byte.toString(16).toUpperCase().padStart(2, '0')}`;
}

function decodeUtf8(bytes: Buffer, declared: string | undefined, bomLength: number): string {
  const bad = firstInvalidUtf8(bytes);
  if (bad !== -1) {
    const claim = declared === undefined ? 'declares no encoding, which means UTF-8,' : `declares ${quote(declared)}`;
    throw invalid('XML_ENCODING', `the XML ${claim} but is not valid UTF-8: byte ${hex(bytes[bad]!)} at offset ${bad + bomLength} (another encoding must be declared in the XML declaration)`);
  }
  return bytes.toString('utf8');
}

/** Single-byte encodings: every byte must be a character of the declared one, and the text not UTF-8. */
function decodeSingleByte(bytes: Buffer, encoding: 'ISO-8859-1' | 'ISO-8859-15' | 'windows-1252' | 'US-ASCII', declared: string): string {
  const firstHigh = bytes.findIndex((byte) => byte >= 0x80);
  if (firstHigh === -1) return bytes.toString('latin1');
  // French text in a single-byte encoding is never valid UTF-8 by chance: if it is, it is UTF-8.
  if (firstInvalidUtf8(bytes) === -1) {
    throw invalid('XML_ENCODING', `the XML declares ${quote(declared)} but its bytes are UTF-8 (from offset ${firstHigh}): it must declare encoding="UTF-8"`);
  }
  if (encoding === 'US-ASCII') {
    throw invalid('XML_ENCODING', `the XML declares ${quote(declared)} but byte ${hex(bytes[firstHigh]!)} at offset ${firstHigh} is not ASCII`);
  }
  if (encoding !== 'windows-1252') {
    // 0x80-0x9F are C1 control characters in ISO-8859-x: text that has them is windows-1252 mislabelled.
    const control = bytes.findIndex((byte) => byte >= 0x80 && byte <= 0x9f);
    if (control !== -1) {
      throw invalid('XML_ENCODING', `the XML declares ${quote(declared)} but byte ${hex(bytes[control]!)} at offset ${control} is a control character in ${encoding}, not text (windows-1252 text must declare encoding="windows-1252")`);
    }
  }
  if (encoding === 'ISO-8859-1') return bytes.toString('latin1');
  const text = iconv.decode(bytes, encoding === 'windows-1252' ? 'windows-1252' : 'iso-8859-15');
  // iconv-lite gives U+FFFD for the five bytes windows-1252 leaves undefined.
  const undefinedAt = text.indexOf('\ufffd');
  if (undefinedAt !== -1) {
    throw invalid('XML_ENCODING', `the XML declares ${quote(declared)} but byte ${hex(bytes[undefinedAt]!)} at offset ${undefinedAt} is not a character of ${encoding}`);
  }
  return text;
}

/**
 * The text of an XML file, decoded as its byte order mark and declaration say. Throws an
 * XML_ENCODING DocumentProblem when they disagree, with the bytes or with each other, or when
 * the encoding is not one a health document may use.
 */
export function decodeXml(content: Buffer): string {
  const start = detectStart(content);
  const declared = declaredName(content, start);
  const encoding = declared === undefined ? undefined : NAMES.get(declared.trim().toLowerCase());
  if (declared !== undefined && encoding === undefined) {
    throw invalid('XML_ENCODING', `the XML declares the encoding ${quote(declared, 40)}, which is not accepted; use ${SUPPORTED}`);
  }
  const body = content.subarray(start.bom);
  const mismatch = (): never => {
    throw invalid('XML_ENCODING', `the XML ${start.shown} but declares ${quote(declared ?? '')}: the bytes are not in the declared encoding`);
  };

  if (start.family === 'utf-16le' || start.family === 'utf-16be') {
    const littleEndian = start.family === 'utf-16le';
    if (encoding === undefined) {
      // XML 1.0 §4.3.3: UTF-16 needs its byte order mark, or a declaration saying which UTF-16.
      if (start.bom === 0) throw invalid('XML_ENCODING', `the XML ${start.shown} and declares no encoding`);
    } else if (encoding !== 'UTF-16' && encoding !== (littleEndian ? 'UTF-16LE' : 'UTF-16BE')) {
      mismatch();
    }
    if (body.length % 2 !== 0) throw invalid('XML_ENCODING', `the XML is UTF-16 but has an odd number of bytes (${content.length}): it is truncated or not UTF-16`);
    const text = decodeUtf16(body, littleEndian);
    if (text === undefined) throw invalid('XML_ENCODING', 'the XML is UTF-16 but has an unpaired surrogate: the bytes are not valid UTF-16');
    return text;
  }
  if (encoding?.startsWith('UTF-16')) {
    throw invalid('XML_ENCODING', `the XML declares ${quote(declared!)} but ${start.family === 'utf-8-bom' ? 'starts with a UTF-8 byte order mark' : 'its bytes are not UTF-16 (no byte order mark, no UTF-16 "<?xml")'}`);
  }
  if (start.family === 'utf-8-bom') {
    if (encoding !== undefined && encoding !== 'UTF-8') mismatch();
    return decodeUtf8(body, declared, start.bom);
  }
  if (encoding === undefined || encoding === 'UTF-8') return decodeUtf8(body, declared, 0);
  return decodeSingleByte(body, encoding as 'ISO-8859-1' | 'ISO-8859-15' | 'windows-1252' | 'US-ASCII', declared!);
}

/**
 * The text of a file that may be XML, in slices, decoded without judging: UTF-16 when the first
 * bytes say so, else byte by byte (every encoding a CDA may use writes its markup in ASCII).
 * Characters XML forbids become spaces. This is only to find out what the file claims to be:
 * decodeXml then judges it.
 */
export function* lenientText(content: Buffer, slice: number): Generator<string> {
  let start: Start;
  try {
    start = detectStart(content);
  } catch {
    start = { family: 'ascii-compatible', bom: 0, shown: '' };
  }
  const utf16 = start.family === 'utf-16le' || start.family === 'utf-16be';
  const decoder = utf16 ? new TextDecoder(start.family) : undefined;
  for (let offset = start.bom; offset < content.length; offset += slice) {
    const bytes = content.subarray(offset, Math.min(offset + slice, content.length));
    const text = decoder ? decoder.decode(bytes, { stream: true }) : bytes.toString('latin1');
    yield text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, ' ');
  }
}
