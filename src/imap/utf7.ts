/**
 * Modified UTF-7 mailbox names (RFC 3501 §5.1.3). The store keeps folder names in UTF-8; the
 * wire speaks this form: printable US-ASCII stands for itself ('&' is written "&-"), anything
 * else is UTF-16 in a modified BASE64 ("," instead of "/", no padding) between '&' and '-'.
 *
 * Decoding is strict, because a name that two spellings reach would be two folders to a client
 * and one to the store: a byte outside printable ASCII, an unterminated shift, a stray BASE64
 * bit, a broken surrogate pair or a printable ASCII character hidden in BASE64 is refused.
 */

export class Utf7Error extends Error {
  override name = 'Utf7Error';
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,';
const VALUE = new Map([...ALPHABET].map((c, i) => [c.charCodeAt(0), i]));
const AMP = 0x26;
const DASH = 0x2d;

const printable = (code: number) => code >= 0x20 && code <= 0x7e;

/** UTF-8 (a JavaScript string) → modified UTF-7. */
export function encodeMailboxName(name: string): string {
  let out = '';
  let i = 0;
  while (i < name.length) {
    const code = name.charCodeAt(i);
    if (printable(code)) {
      out += code === AMP ? '&-' : name[i];
      i++;
      continue;
    }
    // a run of characters that need BASE64, taken as UTF-16 code units
    let bits = 0;
    let width = 0;
    out += '&';
    while (i < name.length && !printable(name.charCodeAt(i))) {
      bits = (bits << 16) | name.charCodeAt(i++);
      width += 16;
      while (width >= 6) {
        width -= 6;
        out += ALPHABET[(bits >> width) & 0x3f];
      }
      bits &= (1 << width) - 1;
    }
    if (width > 0) out += ALPHABET[(bits << (6 - width)) & 0x3f];
    out += '-';
  }
  return out;
}

/** modified UTF-7 → UTF-8; throws Utf7Error when the name is not well formed. */
export function decodeMailboxName(wire: string | Buffer): string {
  const text = typeof wire === 'string' ? wire : wire.toString('latin1');
  let out = '';
  let i = 0;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (!printable(code)) throw new Utf7Error(`byte 0x${code.toString(16).padStart(2, '0')} at ${i} is not printable ASCII`);
    if (code !== AMP) {
      out += text[i++];
      continue;
    }
    const end = text.indexOf('-', i + 1);
    if (end === -1) throw new Utf7Error(`the shift at ${i} has no closing "-"`);
    if (end === i + 1) out += '&';
    else out += decodeShift(text, i + 1, end);
    i = end + 1;
  }
  return out;
}

/** the characters of the BASE64 run text[from, to) */
function decodeShift(text: string, from: number, to: number): string {
  const units: number[] = [];
  let bits = 0;
  let width = 0;
  for (let i = from; i < to; i++) {
    const value = VALUE.get(text.charCodeAt(i));
    if (value === undefined) throw new Utf7Error(`"${text[i]}" at ${i} is not a modified BASE64 character`);
    bits = ((bits << 6) | value) & 0xffffff;
    width += 6;
    if (width >= 16) {
      width -= 16;
      units.push((bits >> width) & 0xffff);
    }
  }
  // What is left must be padding: fewer than 6 bits, all zero.
  if (width >= 6 || (bits & ((1 << width) - 1)) !== 0) throw new Utf7Error(`the shift at ${from - 1} ends inside a character`);
  let out = '';
  for (let k = 0; k < units.length; k++) {
    const unit = units[k]!;
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const low = units[k + 1];
      if (low === undefined || low < 0xdc00 || low > 0xdfff) throw new Utf7Error(`unpaired surrogate in the shift at ${from - 1}`);
      out += String.fromCharCode(unit, low);
      k++;
      continue;
    }
    if (unit >= 0xdc00 && unit <= 0xdfff) throw new Utf7Error(`unpaired surrogate in the shift at ${from - 1}`);
    if (printable(unit)) throw new Utf7Error(`the shift at ${from - 1} encodes "${String.fromCharCode(unit)}", which must be written as itself`);
    out += String.fromCharCode(unit);
  }
  return out;
}
