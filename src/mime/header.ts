/**
 * Header blocks as RFC 5322 and RFC 2045 write them: fields (unfolded, obsolete `Name :` syntax
 * read as every client reads it), structured values with parameters (RFC 2231 continuations
 * joined), and decoding of encoded words for people.
 */
import libmime from 'libmime';
import { decodeCharset } from './charset.js';
import type { MimeParams } from './types.js';

export interface HeaderField {
  /** lower-cased, white space before the colon removed (RFC 5322 §4.5.3 obsolete syntax) */
  name: string;
  /** unfolded, leading and trailing white space removed, encoded words kept */
  value: string;
}

/**
 * Header bytes as text: UTF-8 when they are (RFC 6532 allows it), else Latin-1 so that every
 * byte survives as one character.
 */
export function headerText(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  return text.includes('\ufffd') && !bytes.includes(REPLACEMENT) ? bytes.toString('latin1') : text;
}

const REPLACEMENT = Buffer.from('\ufffd', 'utf8');

/** The fields of a header block, in order. Lines that are not fields (no colon) are skipped. */
export function parseHeaderFields(block: string): HeaderField[] {
  const fields: HeaderField[] = [];
  let current: string | undefined;
  const flush = () => {
    if (current === undefined) return;
    const colon = current.indexOf(':');
    if (colon > 0) {
      const name = current.slice(0, colon).replace(/[ \t]+$/, '').toLowerCase();
      // A field name is printable ASCII without spaces; anything else is not a field.
      if (/^[\x21-\x39\x3b-\x7e]+$/.test(name)) fields.push({ name, value: current.slice(colon + 1).trim() });
    }
    current = undefined;
  };
  for (const line of block.split(/\r?\n/)) {
    if (line === '') continue;
    if ((line[0] === ' ' || line[0] === '\t') && current !== undefined) {
      current += line; // unfolding removes the CRLF only (RFC 5322 §2.2.3)
    } else {
      flush();
      current = line;
    }
  }
  flush();
  return fields;
}

export function firstField(fields: readonly HeaderField[], name: string): string | null {
  return fields.find((f) => f.name === name)?.value ?? null;
}

export interface StructuredValue {
  /** the part before the first `;`, lower-cased */
  value: string;
  params: MimeParams;
}

/** Splits `a; b="c;d"; e=f` at the semicolons outside quotes and comments. */
function splitParams(text: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  let comment = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      current += c;
      if (c === '\\' && i + 1 < text.length) current += text[++i];
      else if (c === '"') quoted = false;
    } else if (comment > 0) {
      if (c === '\\') i++;
      else if (c === '(') comment++;
      else if (c === ')') comment--;
    } else if (c === '"') {
      quoted = true;
      current += c;
    } else if (c === '(') {
      comment = 1;
    } else if (c === ';') {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts.map((p) => p.trim());
}

function unquote(text: string): string {
  const t = text.trim();
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) return t.slice(1, -1).replace(/\\(.)/g, '$1');
  return t;
}

const CONTINUATION = /^(.+?)\*(\d+)(\*?)$/;

/** Percent-encodes what RFC 2231 extended values may not carry literally. */
function percentEncode(text: string): string {
  return [...Buffer.from(text, 'utf8')]
    .map((b) => (/[A-Za-z0-9!#$&+\-.^_`|~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');
}

/**
 * A structured header value (Content-Type, Content-Disposition). Parameter names are
 * lower-cased; RFC 2231 continuations are joined; a value that used the extended syntax keeps it
 * (name ends in `*`), so the result stays 7-bit as IMAP's BODYSTRUCTURE needs.
 */
export function parseStructured(text: string): StructuredValue {
  const [head = '', ...rest] = splitParams(text);
  const params: MimeParams = [];
  const continued = new Map<string, Array<{ n: number; value: string; extended: boolean }>>();
  for (const item of rest) {
    const eq = item.indexOf('=');
    if (eq <= 0) continue;
    const name = item.slice(0, eq).trim().toLowerCase();
    const raw = item.slice(eq + 1).trim();
    const match = CONTINUATION.exec(name);
    if (match) {
      const list = continued.get(match[1]!) ?? [];
      if (list.length === 0) {
        continued.set(match[1]!, list);
        params.push([match[1]!, '']); // placeholder keeps the header's order
      }
      list.push({ n: Number(match[2]), value: unquote(raw), extended: match[3] === '*' });
    } else {
      params.push([name, name.endsWith('*') ? raw.replace(/^"|"$/g, '') : unquote(raw)]);
    }
  }
  for (const [base, pieces] of continued) {
    pieces.sort((a, b) => a.n - b.n);
    const extended = pieces.some((p) => p.extended);
    // In an extended value only the first piece names the charset; plain pieces are literal.
    const value = extended ? pieces.map((p) => (p.extended || p.n === 0 ? p.value : percentEncode(p.value))).join('') : pieces.map((p) => p.value).join('');
    const index = params.findIndex(([name, v]) => name === base && v === '');
    const entry: [string, string] = [extended ? `${base}*` : base, value];
    if (index >= 0) params[index] = entry;
    else params.push(entry);
  }
  return { value: head.trim().toLowerCase(), params };
}

/** Decodes an RFC 2231 extended value `charset'lang'%xx…` to text. */
function decodeExtended(value: string): string {
  const match = /^([^']*)'[^']*'(.*)$/s.exec(value);
  if (!match) return value;
  const bytes = Buffer.from(match[2]!.replace(/%([0-9A-Fa-f]{2})|[^%]+|%/g, (m, hex: string | undefined) => (hex ? String.fromCharCode(parseInt(hex, 16)) : m)), 'latin1');
  return decodeCharset(bytes, match[1] || 'utf-8');
}

/** The text of a parameter, whichever syntax carried it (RFC 2231 or encoded words, as some mailers do). */
export function paramValue(params: MimeParams, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [key, value] of params) {
    if (key === `${lower}*`) return decodeExtended(value);
    if (key === lower) return decodeWords(value);
  }
  return undefined;
}

/** RFC 2047 encoded words to text; text that is not encoded comes back as it is. */
export function decodeWords(text: string): string {
  if (!text.includes('=?')) return text;
  try {
    return libmime.decodeWords(text);
  } catch {
    return text;
  }
}
