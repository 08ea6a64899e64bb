/**
 * The XML's declared encoding, its byte order mark and its bytes (XML 1.0 §4.3.3, appendix F):
 * every encoding a CDA may be written in is read right, and a file whose bytes are not what it
 * declares is refused, saying what was declared and what the bytes are.
 */
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { DocumentProblem } from '../../../src/documents/problem.js';
import { decodeXml, firstInvalidUtf8 } from '../../../src/documents/xml-encoding.js';

const TEXT = 'Compte rendu d’échographie – 15 € – « Œdème »';
const declaration = (encoding?: string) => `<?xml version="1.0"${encoding === undefined ? '' : ` encoding="${encoding}"`}?>`;
const LE_BOM = Buffer.from([0xff, 0xfe]);
const BE_BOM = Buffer.from([0xfe, 0xff]);
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

function problemOf(content: Buffer): DocumentProblem {
  try {
    decodeXml(content);
  } catch (error) {
    if (error instanceof DocumentProblem) return error;
    throw error;
  }
  throw new Error('the XML was accepted');
}

describe('reading the encodings a CDA may use', () => {
  const doc = (encoding?: string) => `${declaration(encoding)}<title>${TEXT}</title>`;
  it.each([
    ['UTF-8, declared', Buffer.from(doc('UTF-8'))],
    ['UTF-8, undeclared (the default)', Buffer.from(doc())],
    ['UTF-8 with a byte order mark', Buffer.concat([UTF8_BOM, Buffer.from(doc('utf-8'))])],
    ['windows-1252', iconv.encode(doc('windows-1252'), 'windows-1252')],
    ['windows-1252 under its alias cp1252', iconv.encode(doc('cp1252'), 'windows-1252')],
    ['UTF-16 little-endian with its BOM', Buffer.concat([LE_BOM, iconv.encode(doc('UTF-16'), 'utf-16le')])],
    ['UTF-16 big-endian with its BOM', Buffer.concat([BE_BOM, iconv.encode(doc('UTF-16'), 'utf-16be')])],
    ['UTF-16 with its BOM and no declaration', Buffer.concat([LE_BOM, iconv.encode(doc(), 'utf-16le')])],
    ['UTF-16LE declared, without BOM', iconv.encode(doc('UTF-16LE'), 'utf-16le')],
  ])('%s', (_label, content) => {
    expect(decodeXml(content)).toContain(`<title>${TEXT}</title>`);
  });

  it('reads ISO-8859-1 and ISO-8859-15 text (the characters they have)', () => {
    expect(decodeXml(Buffer.from(`${declaration('ISO-8859-1')}<a>Médecin généraliste</a>`, 'latin1'))).toContain('Médecin généraliste');
    expect(decodeXml(iconv.encode(`${declaration('ISO-8859-15')}<a>Œdème, 15 €</a>`, 'iso-8859-15'))).toContain('Œdème, 15 €');
    expect(decodeXml(Buffer.from(`${declaration('US-ASCII')}<a>plain</a>`))).toContain('plain');
  });
});

describe('bytes that are not what the XML declares', () => {
  it('UTF-8 declared (or by default) but the bytes are windows-1252', () => {
    const head = `${declaration('UTF-8')}<a>Compte rendu d`;
    const declared = problemOf(iconv.encode(`${head}${TEXT.slice(14)}</a>`, 'windows-1252'));
    expect(declared.check).toBe('XML_ENCODING');
    expect(declared.detail).toContain(`declares "UTF-8" but is not valid UTF-8: byte 0x92 at offset ${head.length}`);
    expect(problemOf(iconv.encode(`<a>${TEXT}</a>`, 'windows-1252')).detail).toContain('declares no encoding, which means UTF-8, but is not valid UTF-8');
  });

  it('a UTF-16 byte order mark with a single-byte or UTF-8 declaration', () => {
    const windows = problemOf(Buffer.concat([LE_BOM, iconv.encode(`${declaration('windows-1252')}<a/>`, 'utf-16le')]));
    expect(windows.detail).toBe('the XML starts with a UTF-16 little-endian byte order mark but declares "windows-1252": the bytes are not in the declared encoding');
    expect(problemOf(Buffer.concat([BE_BOM, iconv.encode(`${declaration('UTF-8')}<a/>`, 'utf-16be')])).detail).toContain('big-endian byte order mark but declares "UTF-8"');
    expect(problemOf(Buffer.concat([LE_BOM, iconv.encode(`${declaration('UTF-16BE')}<a/>`, 'utf-16le')])).check).toBe('XML_ENCODING');
  });

  it('UTF-16 declared on single-byte text, or after a UTF-8 byte order mark', () => {
    expect(problemOf(Buffer.from(`${declaration('UTF-16')}<a/>`)).detail).toContain('declares "UTF-16" but its bytes are not UTF-16');
    expect(problemOf(Buffer.concat([UTF8_BOM, Buffer.from(`${declaration('UTF-16')}<a/>`)])).detail).toContain('starts with a UTF-8 byte order mark');
  });

  it('a UTF-8 byte order mark with a windows-1252 declaration', () => {
    expect(problemOf(Buffer.concat([UTF8_BOM, Buffer.from(`${declaration('windows-1252')}<a/>`)])).detail).toBe(
      'the XML starts with a UTF-8 byte order mark but declares "windows-1252": the bytes are not in the declared encoding',
    );
  });

  it('UTF-8 text declared windows-1252 or ISO-8859-1 (it would be filed as "Ã©")', () => {
    for (const encoding of ['windows-1252', 'ISO-8859-1']) {
      const problem = problemOf(Buffer.from(`${declaration(encoding)}<a>échographie</a>`, 'utf8'));
      expect(problem.detail, encoding).toContain(`declares "${encoding}" but its bytes are UTF-8`);
    }
  });

  it('windows-1252 bytes declared ISO-8859-1: 0x80-0x9F are control characters there', () => {
    const head = `${declaration('ISO-8859-1')}<a>d`;
    const problem = problemOf(iconv.encode(`${head}’écho</a>`, 'windows-1252'));
    expect(problem.detail).toContain(`byte 0x92 at offset ${head.length} is a control character in ISO-8859-1`);
  });

  it('bytes windows-1252 leaves undefined, and non-ASCII bytes declared US-ASCII', () => {
    const head = Buffer.from(`${declaration('windows-1252')}<a>`);
    expect(problemOf(Buffer.from([...head, 0x81, ...Buffer.from('</a>')])).detail).toContain(`byte 0x81 at offset ${head.length} is not a character of windows-1252`);
    const ascii = `${declaration('US-ASCII')}<a>`;
    expect(problemOf(Buffer.from(`${ascii}é</a>`, 'latin1')).detail).toContain(`byte 0xE9 at offset ${ascii.length} is not ASCII`);
  });

  it('UTF-16 that is truncated or has an unpaired surrogate', () => {
    const whole = Buffer.concat([LE_BOM, iconv.encode(`${declaration('UTF-16')}<a/>`, 'utf-16le')]);
    expect(problemOf(whole.subarray(0, whole.length - 1)).detail).toContain('odd number of bytes');
    const surrogate = Buffer.concat([whole.subarray(0, whole.length - 8), Buffer.from([0x00, 0xd8]), whole.subarray(whole.length - 8)]);
    expect(problemOf(surrogate).detail).toContain('unpaired surrogate');
  });

  it('UTF-16 without byte order mark nor declaration', () => {
    expect(problemOf(iconv.encode('<?xml version="1.0"?><a/>', 'utf-16le')).detail).toContain('without byte order mark) and declares no encoding');
  });
});

describe('encodings a health document may not use', () => {
  it.each([
    ['Shift_JIS', Buffer.from(`${declaration('Shift_JIS')}<a/>`), 'declares the encoding "Shift_JIS", which is not accepted'],
    ['UTF-32', Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), iconv.encode('<a/>', 'utf-32le')]), 'encoded in UTF-32'],
    ['EBCDIC', Buffer.from([0x4c, 0x6f, 0xa7, 0x94, 0x93]), 'encoded in EBCDIC'],
  ])('%s is refused, naming what is accepted', (_label, content, says) => {
    const problem = problemOf(content);
    expect(problem.check).toBe('XML_ENCODING');
    expect(problem.detail).toContain(says);
    expect(problem.detail).toContain('use UTF-8, UTF-16, ISO-8859-1, ISO-8859-15 or windows-1252');
  });
});

describe('UTF-8 validation (RFC 3629)', () => {
  it.each([
    ['ASCII', [0x41, 0x42], -1],
    ['é, €, and a 4-byte character', [0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80], -1],
    ['a lone continuation byte', [0x41, 0x80], 1],
    ['an overlong encoding of "/"', [0xc0, 0xaf], 0],
    ['an overlong 3-byte form', [0xe0, 0x80, 0xaf], 0],
    ['a UTF-16 surrogate', [0xed, 0xa0, 0x80], 0],
    ['beyond U+10FFFF', [0xf4, 0x90, 0x80, 0x80], 0],
    ['a sequence cut at the end', [0x41, 0xe2, 0x82], 1],
  ])('%s', (_label, bytes, offset) => {
    const buffer = Buffer.from(bytes);
    expect(firstInvalidUtf8(buffer)).toBe(offset);
    // The same verdict as the platform's strict decoder.
    let strict = true;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(buffer);
    } catch {
      strict = false;
    }
    expect(strict).toBe(offset === -1);
  });
});
