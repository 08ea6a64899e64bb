/**
 * A whole command (reader.ts) → tag, command name, UID prefix and arguments as `ImapValue`s
 * (RFC 3501 §9): atoms, quoted strings, literals, nested lists, NIL, and fetch attributes with
 * `[section]` and `<partial>`. Anything malformed is a `ParseFailure` whose text says what.
 * The parser knows no command: which arguments a command takes is the command's business.
 */
import type { RawCommand } from './reader.js';
import type { ImapValue, ParsedCommand, Partial } from './values.js';

export interface ParseFailure {
  /** the command's tag, or `*` when even the tag could not be read */
  tag: string;
  text: string;
}

export type ParseResult = { ok: true; command: ParsedCommand } | { ok: false; failure: ParseFailure };

export interface ParseOptions {
  /** UTF8=ACCEPT (RFC 6855) enabled: 8-bit UTF-8 is allowed in quoted strings */
  utf8?: boolean;
}

const MAX_DEPTH = 32;
const SP = 0x20;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
/** the atoms after which `[` opens a section (RFC 3501 fetch-att, RFC 3516 BINARY) */
const SECTIONED = new Set(['BODY', 'BODY.PEEK', 'BINARY', 'BINARY.PEEK', 'BINARY.SIZE']);

class Failure extends Error {}

const fail = (fr: string, en: string): never => {
  throw new Failure(`${fr} / ${en}`);
};

/** characters never part of an atom (RFC 3501 atom-specials, `%` and `*` allowed: LIST patterns, sequence sets) */
function atomChar(byte: number): boolean {
  return byte > 0x20 && byte < 0x7f && byte !== 0x28 && byte !== 0x29 && byte !== 0x7b && byte !== DQUOTE;
}

/** RFC 3501 tag: ASTRING-CHAR except `+` */
export function validTag(tag: string): boolean {
  return /^[\x21-\x7e]+$/.test(tag) && !/[(){%*"\\+]/.test(tag);
}

class Cursor {
  line = 0;
  pos = 0;
  constructor(
    private readonly raw: RawCommand,
    readonly options: ParseOptions,
  ) {}

  get text(): Buffer {
    return this.raw.lines[this.line]!;
  }
  /** the byte under the cursor, or -1 at the end of the line */
  peek(): number {
    return this.pos < this.text.length ? this.text[this.pos]! : -1;
  }
  atEnd(): boolean {
    return this.pos >= this.text.length && this.line === this.raw.lines.length - 1;
  }

  /** at `{`: the literal must end this line (the reader saw its marker there) */
  literal(): Buffer {
    const rest = this.text.subarray(this.pos).toString('latin1');
    if (!/^\{\d{1,10}\+?\}$/.test(rest) || this.line >= this.raw.literals.length) {
      fail('Littéral mal formé (attendu {n} en fin de ligne)', 'Malformed literal (expected {n} at the end of a line)');
    }
    const value = this.raw.literals[this.line]!;
    this.line++;
    this.pos = 0;
    return value;
  }
}

function quoted(c: Cursor): Buffer {
  const text = c.text;
  c.pos++; // opening quote
  const out: number[] = [];
  for (;;) {
    if (c.pos >= text.length) fail('Chaîne entre guillemets non terminée', 'Unterminated quoted string');
    const byte = text[c.pos++]!;
    if (byte === DQUOTE) return Buffer.from(out);
    if (byte === BACKSLASH) {
      const next = text[c.pos++];
      if (next !== DQUOTE && next !== BACKSLASH) fail('Échappement invalide dans une chaîne (seuls \\\\ et \\" le sont)', 'Invalid escape in a quoted string (only \\\\ and \\" are allowed)');
      out.push(next!);
      continue;
    }
    if (byte === 0 || byte === 0x0d || byte === 0x0a) fail('Caractère interdit dans une chaîne (NUL, CR ou LF)', 'Forbidden character in a quoted string (NUL, CR or LF)');
    if (byte >= 0x80 && !c.options.utf8) fail('Caractère 8 bits dans une chaîne entre guillemets : utilisez un littéral', '8-bit character in a quoted string: use a literal');
    out.push(byte);
  }
}

function partial(c: Cursor): Partial {
  const text = c.text;
  const close = text.indexOf(0x3e /* > */, c.pos);
  const inner = close === -1 ? '' : text.subarray(c.pos + 1, close).toString('latin1');
  const match = /^(0|[1-9]\d{0,9})\.([1-9]\d{0,9})$/.exec(inner);
  if (!match) fail('Intervalle <début.longueur> mal formé', 'Malformed <start.length> partial');
  c.pos = close + 1;
  const start = Number(match![1]);
  const length = Number(match![2]);
  if (start > 0xffffffff || length > 0xffffffff) fail('Intervalle hors limites', 'Partial out of range');
  return { start, length };
}

function atom(c: Cursor, inSection: boolean, depth: number): ImapValue {
  const text = c.text;
  const start = c.pos;
  while (c.pos < text.length) {
    const byte = text[c.pos]!;
    if (!atomChar(byte)) break;
    if (byte === 0x5d /* ] */ && inSection) break;
    if (byte === 0x5b /* [ */ && SECTIONED.has(text.subarray(start, c.pos).toString('latin1').toUpperCase())) break;
    c.pos++;
  }
  const value = text.subarray(start, c.pos).toString('latin1');
  const stop = c.peek();
  // what stopped the atom must be a separator; say precisely what else it was
  if (stop >= 0x80) fail('Caractère 8 bits hors d\'une chaîne', '8-bit character outside a string');
  if (stop === 0x7b) fail('Littéral mal formé (attendu {n} en fin de ligne)', 'Malformed literal (expected {n} at the end of a line)');
  if (stop !== -1 && (stop < 0x20 || stop === 0x7f)) fail(`Caractère de contrôle inattendu (code ${stop})`, `Unexpected control character (code ${stop})`);
  if (value.length === 0) fail(`Caractère inattendu (code ${stop})`, `Unexpected character (code ${stop})`);
  if (stop === 0x5b /* [ */) {
    c.pos++;
    const section = items(c, 0x5d, depth + 1, true);
    const result: ImapValue = { type: 'atom', value, section };
    if (c.peek() === 0x3c /* < */) result.partial = partial(c);
    return result;
  }
  if (value.toUpperCase() === 'NIL') return { type: 'nil' };
  return { type: 'atom', value };
}

function value(c: Cursor, inSection: boolean, depth: number): ImapValue {
  switch (c.peek()) {
    case 0x28 /* ( */:
      c.pos++;
      return { type: 'list', items: items(c, 0x29, depth + 1, inSection) };
    case DQUOTE:
      return { type: 'string', value: quoted(c), literal: false };
    case 0x7b /* { */:
      return { type: 'string', value: c.literal(), literal: true };
    case 0x7e /* ~ */:
      if (c.text[c.pos + 1] === 0x7b) fail('Littéral binaire (~{n}) non pris en charge', 'Binary literal (~{n}) not supported');
      return atom(c, inSection, depth);
    case 0x29 /* ) */:
      return fail('Parenthèse fermante sans ouvrante', 'Unbalanced parentheses: unexpected ")"');
    case SP:
      return fail('Espace en trop', 'Unexpected extra space');
    case -1:
      return fail('Argument attendu', 'Argument expected');
    default:
      return atom(c, inSection, depth);
  }
}

/** values separated by single spaces up to `close` (`)` or `]`), which is consumed */
function items(c: Cursor, close: number, depth: number, inSection: boolean): ImapValue[] {
  if (depth > MAX_DEPTH) fail(`Listes imbriquées trop profondément (${MAX_DEPTH} au plus)`, `Lists nested too deeply (at most ${MAX_DEPTH})`);
  const out: ImapValue[] = [];
  const missing = () =>
    close === 0x29 ? fail('Parenthèses non équilibrées : « ) » manquante', 'Unbalanced parentheses: missing ")"') : fail('Section non fermée : « ] » manquant', 'Unterminated section: missing "]"');
  if (c.peek() === close) {
    c.pos++;
    return out;
  }
  for (;;) {
    if (c.peek() === -1) missing();
    out.push(value(c, inSection || close === 0x5d, depth));
    const next = c.peek();
    if (next === close) {
      c.pos++;
      return out;
    }
    if (next === SP) {
      c.pos++;
      continue;
    }
    if (next === -1) missing();
    if (next === 0x29 || next === 0x5d) fail('Parenthèses ou crochets mal appariés', 'Mismatched parentheses or brackets');
    fail('Espace attendu entre deux arguments', 'Space expected between arguments');
  }
}

function word(c: Cursor): string {
  const text = c.text;
  const start = c.pos;
  while (c.pos < text.length && text[c.pos] !== SP) c.pos++;
  return text.subarray(start, c.pos).toString('latin1');
}

export function parseCommand(raw: RawCommand, options: ParseOptions = {}): ParseResult {
  const c = new Cursor(raw, options);
  const tag = word(c);
  if (!validTag(tag)) return { ok: false, failure: { tag: '*', text: 'Étiquette de commande invalide / Invalid command tag' } };
  try {
    for (const line of raw.lines) if (line.includes(0)) fail('Octet NUL dans la commande', 'NUL byte in the command');
    if (c.peek() !== SP) fail('Commande manquante', 'Missing command');
    c.pos++;
    let name = word(c).toUpperCase();
    if (!/^[A-Z][A-Z0-9-]*$/.test(name)) fail('Nom de commande invalide', 'Invalid command name');
    let uid = false;
    if (name === 'UID') {
      if (c.peek() !== SP) fail('Commande attendue après UID', 'Command expected after UID');
      c.pos++;
      name = word(c).toUpperCase();
      if (!/^[A-Z][A-Z0-9-]*$/.test(name)) fail('Nom de commande invalide après UID', 'Invalid command name after UID');
      uid = true;
    }
    const args: ImapValue[] = [];
    while (!c.atEnd()) {
      if (c.peek() !== SP) fail('Espace attendu entre deux arguments', 'Space expected between arguments');
      c.pos++;
      // a trailing space, which some clients send, ends the command
      if (c.atEnd()) break;
      const v = value(c, false, 0);
      if (c.peek() === 0x29) fail('Parenthèse fermante sans ouvrante', 'Unbalanced parentheses: unexpected ")"');
      args.push(v);
    }
    return { ok: true, command: { tag, command: name, uid, args } };
  } catch (err) {
    if (err instanceof Failure) return { ok: false, failure: { tag, text: err.message } };
    throw err;
  }
}

/** The text of an argument that is an astring (atom or string) or NIL as `NIL`; undefined for a list. */
export function astring(v: ImapValue | undefined): string | undefined {
  if (!v) return undefined;
  if (v.type === 'atom' && !v.section) return v.value;
  if (v.type === 'string') return v.value.toString('utf8');
  if (v.type === 'nil') return 'NIL';
  return undefined;
}
