/**
 * Step-by-step decoders for reading a MIME part's text while it streams from storage: transfer
 * encodings (RFC 2045 base64 and quoted-printable) and charsets. Each keeps the few bytes a
 * piece may cut in half and hands the rest on, so a part of any size is read in bounded memory.
 */
import iconv from 'iconv-lite';

export interface ByteDecoder {
  write(chunk: Buffer): Buffer;
  end(): Buffer;
}

export interface TextDecoderStep {
  write(chunk: Buffer): string;
  end(): string;
}

const identity: ByteDecoder = { write: (chunk) => chunk, end: () => Buffer.alloc(0) };

/** Base64 ignoring what is not of its alphabet (line ends, stray characters), as RFC 2045 §6.8 asks. */
function base64Decoder(): ByteDecoder {
  let carry = '';
  return {
    write(chunk) {
      const text = carry + chunk.toString('latin1').replace(/[^A-Za-z0-9+/]/g, '');
      const whole = text.length - (text.length % 4);
      carry = text.slice(whole);
      return Buffer.from(text.slice(0, whole), 'base64');
    },
    end() {
      const rest = carry;
      carry = '';
      return Buffer.from(rest, 'base64');
    },
  };
}

const HEX = /^[0-9A-Fa-f]{2}$/;

/** Quoted-printable: `=XX` bytes and `=` soft line breaks; a malformed `=` is kept as it is. */
function quotedPrintableDecoder(): ByteDecoder {
  let carry = Buffer.alloc(0);
  const decode = (bytes: Buffer, final: boolean): Buffer => {
    const out = Buffer.allocUnsafe(bytes.length);
    let n = 0;
    let i = 0;
    while (i < bytes.length) {
      const b = bytes[i]!;
      if (b !== 0x3d) {
        out[n++] = b;
        i++;
        continue;
      }
      // An `=` needs the next two bytes to be understood; near the end of a piece, wait for them.
      if (!final && i + 2 >= bytes.length) break;
      const next = bytes.subarray(i + 1, i + 3).toString('latin1');
      if (next === '\r\n') i += 3;
      else if (next[0] === '\n') i += 2;
      else if (HEX.test(next)) {
        out[n++] = parseInt(next, 16);
        i += 3;
      } else {
        out[n++] = b;
        i++;
      }
    }
    carry = Buffer.from(bytes.subarray(i));
    return out.subarray(0, n);
  };
  return {
    write: (chunk) => decode(carry.length ? Buffer.concat([carry, chunk]) : chunk, false),
    end: () => decode(carry, true),
  };
}

export function transferDecoder(encoding: string): ByteDecoder {
  if (encoding === 'base64') return base64Decoder();
  if (encoding === 'quoted-printable') return quotedPrintableDecoder();
  return identity; // 7bit, 8bit, binary, and anything unknown: the bytes as they are
}

/**
 * UTF-8 while the bytes are valid UTF-8, then windows-1252 for the rest of the part: the same
 * reading as src/mime/charset.ts for parts without a charset, or with one mislabelled as ASCII.
 */
function sniffingUtf8(): TextDecoderStep {
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  let latin = false;
  return {
    write(chunk) {
      if (!latin) {
        try {
          return utf8.decode(chunk, { stream: true });
        } catch {
          latin = true;
        }
      }
      return iconv.decode(chunk, 'windows-1252');
    },
    end() {
      if (latin) return '';
      try {
        return utf8.decode();
      } catch {
        return '';
      }
    },
  };
}

/** Charsets read as UTF-8 (with the windows-1252 fallback) or as windows-1252, like charset.ts. */
const AS_UTF8 = new Set(['', 'utf-8', 'utf8', 'us-ascii', 'ascii']);
const AS_WINDOWS_1252 = new Set(['iso-8859-1', 'latin1']);

export function charsetDecoder(charset: string | undefined): TextDecoderStep {
  const name = (charset ?? '').trim().toLowerCase();
  if (AS_UTF8.has(name) || (!AS_WINDOWS_1252.has(name) && !iconv.encodingExists(name))) return sniffingUtf8();
  const decoder = iconv.getDecoder(AS_WINDOWS_1252.has(name) ? 'windows-1252' : name);
  return { write: (chunk) => decoder.write(chunk), end: () => decoder.end() ?? '' };
}
