/**
 * Reads a SEARCH command's arguments into a program (program.ts):
 *
 *   [RETURN (options)] [CHARSET name] key…          (RFC 4731, RFC 3501 §6.4.4)
 *
 * with every RFC 3501 key, parenthesised groups, sequence sets, and RFC 7162's MODSEQ. Anything
 * malformed is a SearchSyntaxError naming the problem (the command answers BAD with it); a
 * charset other than UTF-8 or US-ASCII is a SearchCharsetError (NO [BADCHARSET …]).
 */
import type { ImapValue } from '../protocol/values.js';
import { parseSearchDate, SearchDateError } from './dates.js';
import { looksLikeSet, NumberSetError, parseNumberSet } from './number-set.js';
import type { DateOp, EnvelopeField, ReturnOptions, SearchKey, SearchProgram } from './program.js';
import { fold } from './text-match.js';

/** A malformed search: the text says what, in French and English. */
export class SearchSyntaxError extends Error {
  override name = 'SearchSyntaxError';
  constructor(fr: string, en: string) {
    super(`${fr} / ${en}`);
  }
}

/** A CHARSET this server does not search in. */
export class SearchCharsetError extends Error {
  override name = 'SearchCharsetError';
  constructor(readonly charset: string) {
    super(`Jeu de caractères non pris en charge : ${charset} (UTF-8 ou US-ASCII) / unsupported charset: ${charset} (use UTF-8 or US-ASCII)`);
  }
}

export const SEARCH_CHARSETS = ['UTF-8', 'US-ASCII'] as const;

/** Deeper than any client writes; keeps the recursion of parser and evaluator small. */
const MAX_DEPTH = 64;
/**
 * Keys in one program, and ranges in one of its sequence sets: every key (and every range of
 * a set) is tested against every message, so a 64 KB line of them over a large folder would
 * cost keys × messages. No client writes a thousand.
 */
export const MAX_SEARCH_KEYS = 1000;
export const MAX_SET_RANGES = 1000;

interface ParseState {
  modseq: boolean;
  keys: number;
}
const MAX_UINT32 = 0xffffffff;

const FLAG_KEYS: Record<string, [flag: string, set: boolean]> = {
  ANSWERED: ['\\Answered', true],
  DELETED: ['\\Deleted', true],
  DRAFT: ['\\Draft', true],
  FLAGGED: ['\\Flagged', true],
  SEEN: ['\\Seen', true],
  UNANSWERED: ['\\Answered', false],
  UNDELETED: ['\\Deleted', false],
  UNDRAFT: ['\\Draft', false],
  UNFLAGGED: ['\\Flagged', false],
  UNSEEN: ['\\Seen', false],
};

const ENVELOPE_KEYS: Record<string, EnvelopeField> = { BCC: 'bcc', CC: 'cc', FROM: 'from', SUBJECT: 'subject', TO: 'to' };

const DATE_KEYS: Record<string, { field: 'internal' | 'sent'; op: DateOp }> = {
  BEFORE: { field: 'internal', op: 'before' },
  ON: { field: 'internal', op: 'on' },
  SINCE: { field: 'internal', op: 'since' },
  SENTBEFORE: { field: 'sent', op: 'before' },
  SENTON: { field: 'sent', op: 'on' },
  SENTSINCE: { field: 'sent', op: 'since' },
};

/** What an argument was expected to be, in both languages. */
const WHAT = {
  string: ['une chaîne', 'a string'],
  date: ['une date (1-Feb-2024)', 'a date (1-Feb-2024)'],
  number: ['un nombre', 'a number'],
  set: ['un ensemble de messages (1:*)', 'a sequence set (1:*)'],
  field: ["un nom de champ d'en-tête", 'a header field name'],
  keyword: ['un mot-clé', 'a keyword'],
  key: ['un critère de recherche', 'a search key'],
  modseq: ['une valeur de MODSEQ', 'a MODSEQ value'],
} as const;

const utf8 = new TextDecoder('utf-8', { fatal: true });

class Cursor {
  private i = 0;
  constructor(private readonly items: readonly ImapValue[]) {}

  get done(): boolean {
    return this.i >= this.items.length;
  }

  peek(): ImapValue | undefined {
    return this.items[this.i];
  }

  /** the next argument of `key`, which must be there */
  next(key: string, what: keyof typeof WHAT): ImapValue {
    const value = this.items[this.i++];
    if (value === undefined) throw new SearchSyntaxError(`${key} demande ${WHAT[what][0]}`, `${key} needs ${WHAT[what][1]}`);
    return value;
  }
}

function plainAtom(value: ImapValue | undefined): string | undefined {
  return value?.type === 'atom' && !value.section && !value.partial ? value.value : undefined;
}

function isWord(value: ImapValue | undefined, word: string): boolean {
  return plainAtom(value)?.toUpperCase() === word;
}

/** An astring (atom, quoted string or literal) as text; NIL is the word NIL here. */
function text(c: Cursor, key: string, what: keyof typeof WHAT = 'string'): string {
  const value = c.next(key, what);
  if (value.type === 'nil') return 'NIL';
  if (value.type === 'string') {
    try {
      return utf8.decode(value.value);
    } catch {
      throw new SearchSyntaxError(`la chaîne de ${key} n'est pas de l'UTF-8 valide`, `the string of ${key} is not valid UTF-8`);
    }
  }
  const atom = plainAtom(value);
  if (atom === undefined) throw new SearchSyntaxError(`${key} demande ${WHAT[what][0]}`, `${key} needs ${WHAT[what][1]}`);
  return atom;
}

function number(c: Cursor, key: string, max: number, what: 'number' | 'modseq' = 'number'): number {
  const raw = plainAtom(c.next(key, what));
  const n = raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n > max) {
    throw new SearchSyntaxError(`nombre invalide pour ${key} : ${raw ?? '?'}`, `invalid number for ${key}: ${raw ?? '?'}`);
  }
  return n;
}

function numberSet(raw: string, key: string): SearchKey & { k: 'set' } {
  if (raw === '$') throw new SearchSyntaxError("$ (SEARCHRES) n'est pas proposé par ce serveur", '$ (SEARCHRES) is not offered by this server');
  try {
    const set = parseNumberSet(raw);
    if (set.length > MAX_SET_RANGES) {
      throw new SearchSyntaxError(
        `ensemble de messages trop morcelé (${set.length} intervalles, ${MAX_SET_RANGES} au plus)`,
        `sequence set in too many pieces (${set.length} ranges, at most ${MAX_SET_RANGES})`,
      );
    }
    return { k: 'set', uid: key === 'UID', set };
  } catch (err) {
    if (!(err instanceof NumberSetError)) throw err;
    throw new SearchSyntaxError(`ensemble de messages invalide : ${raw}`, `invalid sequence set: ${raw}`);
  }
}

function modseqKey(c: Cursor): SearchKey {
  // RFC 7162 §3.1.5: an optional entry name and type; this server keeps one MODSEQ per
  // message, not one per flag, so it checks their syntax and ignores them (as the RFC allows).
  const first = c.peek();
  if (first?.type === 'string') {
    c.next('MODSEQ', 'modseq');
    if (!first.value.toString('latin1').toLowerCase().startsWith('/flags/')) {
      throw new SearchSyntaxError("nom d'entrée MODSEQ invalide (/flags/…)", 'invalid MODSEQ entry name (/flags/…)');
    }
    const type = plainAtom(c.next('MODSEQ', 'modseq'))?.toLowerCase();
    if (type !== 'priv' && type !== 'shared' && type !== 'all') {
      throw new SearchSyntaxError("type d'entrée MODSEQ invalide (priv, shared ou all)", 'invalid MODSEQ entry type (priv, shared or all)');
    }
  }
  return { k: 'modseq', modseq: number(c, 'MODSEQ', Number.MAX_SAFE_INTEGER, 'modseq') };
}

function group(items: readonly ImapValue[], depth: number, state: ParseState): SearchKey {
  if (items.length === 0) throw new SearchSyntaxError('groupe de critères vide', 'empty group of search keys');
  const c = new Cursor(items);
  const keys: SearchKey[] = [];
  while (!c.done) keys.push(key(c, depth, state));
  return keys.length === 1 ? keys[0]! : { k: 'and', keys };
}

function key(c: Cursor, depth: number, state: ParseState): SearchKey {
  if (depth > MAX_DEPTH) throw new SearchSyntaxError('critères imbriqués trop profondément', 'search keys nested too deeply');
  if (++state.keys > MAX_SEARCH_KEYS) {
    throw new SearchSyntaxError(`trop de critères de recherche (${MAX_SEARCH_KEYS} au plus)`, `too many search keys (at most ${MAX_SEARCH_KEYS})`);
  }
  const value = c.next('SEARCH', 'key');
  if (value.type === 'list') return group(value.items, depth + 1, state);
  const raw = plainAtom(value);
  if (raw === undefined) {
    const shown = value.type === 'string' ? `"${value.value.toString('utf8').slice(0, 40)}"` : value.type === 'nil' ? 'NIL' : value.value;
    throw new SearchSyntaxError(`critère de recherche attendu, reçu ${shown}`, `expected a search key, got ${shown}`);
  }
  const name = raw.toUpperCase();
  const flag = FLAG_KEYS[name];
  if (flag) return { k: 'flag', flag: flag[0], set: flag[1] };
  const field = ENVELOPE_KEYS[name];
  if (field) return { k: 'envelope', field, text: fold(text(c, name)) };
  const date = DATE_KEYS[name];
  if (date) {
    const written = text(c, name, 'date');
    try {
      return { k: 'date', field: date.field, op: date.op, day: parseSearchDate(written) };
    } catch (err) {
      if (!(err instanceof SearchDateError)) throw err;
      throw new SearchSyntaxError(`date invalide pour ${name} : "${written}" (attendu 1-Feb-2024)`, `invalid date for ${name}: "${written}" (expected 1-Feb-2024)`);
    }
  }
  switch (name) {
    case 'ALL':
      return { k: 'all' };
    case 'RECENT':
      return { k: 'recent' };
    case 'NEW':
      return { k: 'and', keys: [{ k: 'recent' }, { k: 'flag', flag: '\\Seen', set: false }] };
    case 'OLD':
      return { k: 'not', key: { k: 'recent' } };
    case 'KEYWORD':
    case 'UNKEYWORD': {
      const keyword = plainAtom(c.next(name, 'keyword'));
      if (!keyword) throw new SearchSyntaxError(`${name} demande ${WHAT.keyword[0]}`, `${name} needs ${WHAT.keyword[1]}`);
      return { k: 'flag', flag: keyword, set: name === 'KEYWORD' };
    }
    case 'LARGER':
    case 'SMALLER':
      return { k: 'size', op: name === 'LARGER' ? 'larger' : 'smaller', size: number(c, name, MAX_UINT32) };
    case 'HEADER': {
      const fieldName = text(c, name, 'field').trim().toLowerCase();
      if (!/^[\x21-\x39\x3b-\x7e]+$/.test(fieldName)) {
        throw new SearchSyntaxError(`nom de champ d'en-tête invalide : "${fieldName}"`, `invalid header field name: "${fieldName}"`);
      }
      return { k: 'header', name: fieldName, text: fold(text(c, name)) };
    }
    case 'BODY':
    case 'TEXT':
      return { k: 'body', withHeaders: name === 'TEXT', text: fold(text(c, name)) };
    case 'UID': {
      const set = plainAtom(c.next(name, 'set'));
      if (set === undefined) throw new SearchSyntaxError(`UID demande ${WHAT.set[0]}`, `UID needs ${WHAT.set[1]}`);
      return numberSet(set, 'UID');
    }
    case 'NOT':
      return { k: 'not', key: key(c, depth + 1, state) };
    case 'OR': {
      const a = key(c, depth + 1, state);
      return { k: 'or', a, b: key(c, depth + 1, state) };
    }
    case 'MODSEQ':
      state.modseq = true;
      return modseqKey(c);
  }
  if (raw === '$' || looksLikeSet(raw)) return numberSet(raw, 'SEQ');
  throw new SearchSyntaxError(`critère de recherche inconnu : ${raw}`, `unknown search key: ${raw}`);
}

function returnOptions(value: ImapValue | undefined): ReturnOptions {
  if (value?.type !== 'list') throw new SearchSyntaxError("RETURN doit être suivi d'une liste d'options", 'RETURN must be followed by a list of options');
  const options: ReturnOptions = { min: false, max: false, all: false, count: false, save: false };
  for (const item of value.items) {
    const word = plainAtom(item)?.toUpperCase();
    if (word === 'MIN') options.min = true;
    else if (word === 'MAX') options.max = true;
    else if (word === 'ALL') options.all = true;
    else if (word === 'COUNT') options.count = true;
    else if (word === 'SAVE') options.save = true;
    else {
      const shown = item.type === 'atom' ? item.value : item.type;
      throw new SearchSyntaxError(`option RETURN inconnue : ${shown}`, `unknown RETURN option: ${shown}`);
    }
  }
  // RFC 4731 §3.1: RETURN () is RETURN (ALL).
  if (!options.min && !options.max && !options.count && !options.save) options.all = true;
  return options;
}

export function parseSearch(args: readonly ImapValue[]): SearchProgram {
  const c = new Cursor(args);
  let returns: ReturnOptions | null = null;
  if (isWord(c.peek(), 'RETURN')) {
    c.next('RETURN', 'key');
    returns = returnOptions(c.done ? undefined : c.next('RETURN', 'key'));
  }
  let charset: SearchProgram['charset'] = null;
  if (isWord(c.peek(), 'CHARSET')) {
    c.next('CHARSET', 'key');
    const name = text(c, 'CHARSET').toUpperCase();
    if (!(SEARCH_CHARSETS as readonly string[]).includes(name)) throw new SearchCharsetError(name);
    charset = name as SearchProgram['charset'];
  }
  if (c.done) throw new SearchSyntaxError('SEARCH demande au moins un critère', 'SEARCH needs at least one search key');
  const state: ParseState = { modseq: false, keys: 0 };
  const keys: SearchKey[] = [];
  while (!c.done) keys.push(key(c, 0, state));
  return { key: keys.length === 1 ? keys[0]! : { k: 'and', keys }, charset, returns, usesModseq: state.modseq };
}
