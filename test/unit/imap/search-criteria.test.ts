/**
 * The SEARCH program as the real parser hands it over: every RFC 3501 key, groups, sequence
 * sets, CHARSET, RETURN (RFC 4731) and MODSEQ (RFC 7162), and a BAD naming the problem for
 * anything malformed.
 */
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../../src/imap/protocol/parser.js';
import { parseSearch, SearchCharsetError, SearchSyntaxError } from '../../../src/imap/search/criteria.js';
import type { SearchKey, SearchProgram } from '../../../src/imap/search/program.js';

/** `parts`: command text, with a Buffer for each literal (the text before it ends in `{n}`). */
function program(...parts: Array<string | Buffer>): SearchProgram {
  const lines: Buffer[] = [];
  const literals: Buffer[] = [];
  let line = 'A1 SEARCH ';
  for (const part of parts) {
    if (typeof part === 'string') line += part;
    else {
      lines.push(Buffer.from(`${line}{${part.length}}`, 'latin1'));
      literals.push(part);
      line = '';
    }
  }
  lines.push(Buffer.from(line, 'latin1'));
  const parsed = parseCommand({ lines, literals });
  if (!parsed.ok) throw new Error(`parser: ${parsed.failure.text}`);
  return parseSearch(parsed.command.args);
}

const key = (...parts: Array<string | Buffer>): SearchKey => program(...parts).key;
const day = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d) / 86_400_000;

function syntaxError(text: string): string {
  try {
    program(text);
  } catch (err) {
    expect(err).toBeInstanceOf(SearchSyntaxError);
    return (err as Error).message;
  }
  throw new Error(`no error for ${text}`);
}

describe('search keys', () => {
  it('reads the flag keys, with or without UN', () => {
    const flags: Array<[string, string, boolean]> = [
      ['ANSWERED', '\\Answered', true],
      ['DELETED', '\\Deleted', true],
      ['DRAFT', '\\Draft', true],
      ['FLAGGED', '\\Flagged', true],
      ['SEEN', '\\Seen', true],
      ['UNANSWERED', '\\Answered', false],
      ['UNDELETED', '\\Deleted', false],
      ['UNDRAFT', '\\Draft', false],
      ['unflagged', '\\Flagged', false],
      ['UnSeen', '\\Seen', false],
    ];
    for (const [word, flag, set] of flags) expect(key(word)).toEqual({ k: 'flag', flag, set });
    expect(key('KEYWORD $Urgent')).toEqual({ k: 'flag', flag: '$Urgent', set: true });
    expect(key('UNKEYWORD Junk')).toEqual({ k: 'flag', flag: 'Junk', set: false });
  });

  it('reads ALL, RECENT, NEW (recent and unseen) and OLD (not recent)', () => {
    expect(key('ALL')).toEqual({ k: 'all' });
    expect(key('RECENT')).toEqual({ k: 'recent' });
    expect(key('NEW')).toEqual({ k: 'and', keys: [{ k: 'recent' }, { k: 'flag', flag: '\\Seen', set: false }] });
    expect(key('OLD')).toEqual({ k: 'not', key: { k: 'recent' } });
  });

  it('reads the six date keys, quoted or not, as calendar days', () => {
    expect(key('BEFORE 1-Feb-1994')).toEqual({ k: 'date', field: 'internal', op: 'before', day: day(1994, 2, 1) });
    expect(key('ON "29-feb-2024"')).toEqual({ k: 'date', field: 'internal', op: 'on', day: day(2024, 2, 29) });
    expect(key('SINCE 31-Dec-2023')).toEqual({ k: 'date', field: 'internal', op: 'since', day: day(2023, 12, 31) });
    expect(key('SENTBEFORE 2-Jan-2025')).toMatchObject({ field: 'sent', op: 'before', day: day(2025, 1, 2) });
    expect(key('SENTON 02-JAN-2025')).toMatchObject({ field: 'sent', op: 'on', day: day(2025, 1, 2) });
    expect(key('SENTSINCE 2-Jan-2025')).toMatchObject({ field: 'sent', op: 'since' });
  });

  it('reads the envelope string keys, folded for a case-insensitive match', () => {
    expect(key('FROM Dr.House')).toEqual({ k: 'envelope', field: 'from', text: 'dr.house' });
    expect(key('TO "Pharmacie  du Centre"')).toEqual({ k: 'envelope', field: 'to', text: 'pharmacie du centre' });
    expect(key('CC x')).toMatchObject({ field: 'cc' });
    expect(key('BCC x')).toMatchObject({ field: 'bcc' });
    expect(key('SUBJECT NIL')).toEqual({ k: 'envelope', field: 'subject', text: 'nil' });
  });

  it('reads BODY, TEXT and HEADER, with UTF-8 in literals', () => {
    expect(key('CHARSET UTF-8 BODY ', Buffer.from('Résultat', 'utf8'))).toEqual({ k: 'body', withHeaders: false, text: 'résultat'.normalize('NFKD') });
    expect(key('TEXT ordonnance')).toEqual({ k: 'body', withHeaders: true, text: 'ordonnance' });
    expect(key('HEADER X-MSS-MES FIN')).toEqual({ k: 'header', name: 'x-mss-mes', text: 'fin' });
    expect(key('HEADER Disposition-Notification-To ""')).toEqual({ k: 'header', name: 'disposition-notification-to', text: '' });
  });

  it('reads LARGER and SMALLER', () => {
    expect(key('LARGER 10240')).toEqual({ k: 'size', op: 'larger', size: 10240 });
    expect(key('SMALLER 0')).toEqual({ k: 'size', op: 'smaller', size: 0 });
  });

  it('reads sequence sets by number and by UID, `*` included', () => {
    expect(key('1:3,7')).toEqual({ k: 'set', uid: false, set: [{ from: 1, to: 3 }, { from: 7, to: 7 }] });
    expect(key('UID 5:*')).toEqual({ k: 'set', uid: true, set: [{ from: 5, to: Infinity }] });
    expect(key('*')).toEqual({ k: 'set', uid: false, set: [{ from: Infinity, to: Infinity }] });
  });

  it('reads NOT, OR and parenthesised groups, nested', () => {
    expect(key('NOT SEEN')).toEqual({ k: 'not', key: { k: 'flag', flag: '\\Seen', set: true } });
    expect(key('OR FLAGGED (UNSEEN LARGER 5)')).toEqual({
      k: 'or',
      a: { k: 'flag', flag: '\\Flagged', set: true },
      b: { k: 'and', keys: [{ k: 'flag', flag: '\\Seen', set: false }, { k: 'size', op: 'larger', size: 5 }] },
    });
    expect(key('OR OR SEEN DRAFT NOT (DELETED)')).toMatchObject({ k: 'or', a: { k: 'or' }, b: { k: 'not', key: { k: 'flag', flag: '\\Deleted' } } });
    // several keys are ANDed
    expect(key('SEEN FLAGGED')).toEqual({ k: 'and', keys: [{ k: 'flag', flag: '\\Seen', set: true }, { k: 'flag', flag: '\\Flagged', set: true }] });
  });

  it('reads MODSEQ, with and without an entry name, and says the program uses it', () => {
    const plain = program('MODSEQ 720162338');
    expect(plain.key).toEqual({ k: 'modseq', modseq: 720162338 });
    expect(plain.usesModseq).toBe(true);
    expect(key('MODSEQ "/flags/\\\\draft" all 620162338')).toEqual({ k: 'modseq', modseq: 620162338 });
    expect(program('OR SEEN NOT MODSEQ 0').usesModseq).toBe(true);
    expect(program('SEEN').usesModseq).toBe(false);
  });
});

describe('charset and return options', () => {
  it('takes CHARSET UTF-8 and US-ASCII, in any case', () => {
    expect(program('CHARSET utf-8 ALL').charset).toBe('UTF-8');
    expect(program('CHARSET "US-ASCII" ALL').charset).toBe('US-ASCII');
    expect(program('ALL').charset).toBeNull();
  });

  it('refuses other charsets with the ones it has', () => {
    expect(() => program('CHARSET ISO-8859-1 SUBJECT x')).toThrow(SearchCharsetError);
    expect(() => program('CHARSET KOI8-R ALL')).toThrow(/UTF-8 ou US-ASCII.*use UTF-8 or US-ASCII/);
  });

  it('reads RETURN options; RETURN () is ALL', () => {
    expect(program('RETURN (MIN MAX COUNT) ALL').returns).toEqual({ min: true, max: true, all: false, count: true, save: false });
    expect(program('RETURN () UNSEEN').returns).toEqual({ min: false, max: false, all: true, count: false, save: false });
    expect(program('RETURN (all) CHARSET UTF-8 SEEN')).toMatchObject({ charset: 'UTF-8', returns: { all: true } });
    expect(program('RETURN (SAVE) SEEN').returns?.save).toBe(true);
    expect(program('SEEN').returns).toBeNull();
  });
});

describe('malformed searches get a reason, in French and English', () => {
  it.each([
    ['', /au moins un critère \/ SEARCH needs at least one search key/],
    ['FOO', /critère de recherche inconnu : FOO \/ unknown search key: FOO/],
    ['SUBJECT', /SUBJECT demande une chaîne \/ SUBJECT needs a string/],
    ['BEFORE 31-Feb-2024', /invalid date for BEFORE: "31-Feb-2024"/],
    ['SINCE 2024-02-01', /invalid date for SINCE/],
    ['ON', /ON needs a date/],
    ['LARGER ten', /invalid number for LARGER: ten/],
    ['SMALLER 99999999999', /invalid number for SMALLER/],
    ['UID', /UID needs a sequence set/],
    ['UID 0:4', /invalid sequence set: 0:4/],
    ['1:2:3', /invalid sequence set/],
    ['$', /SEARCHRES/],
    ['OR SEEN', /SEARCH needs a search key/],
    ['NOT', /SEARCH needs a search key/],
    ['()', /empty group of search keys/],
    ['"SEEN"', /expected a search key, got "SEEN"/],
    ['KEYWORD', /KEYWORD needs a keyword/],
    ['HEADER "" x', /invalid header field name/],
    ['HEADER Subject', /HEADER needs a string/],
    ['RETURN MIN ALL', /RETURN must be followed by a list/],
    ['RETURN (PARTIAL 1:10) ALL', /unknown RETURN option: PARTIAL/],
    ['MODSEQ', /MODSEQ needs a MODSEQ value/],
    ['MODSEQ "/flags/x" everyone 5', /invalid MODSEQ entry type/],
    ['MODSEQ "/other" all 5', /invalid MODSEQ entry name/],
    ['CHARSET', /CHARSET needs a string/],
  ])('%s', (text, reason) => {
    expect(syntaxError(text)).toMatch(reason);
  });

  it('refuses a search string that is not UTF-8', () => {
    expect(() => program('CHARSET UTF-8 SUBJECT ', Buffer.from([0xff, 0xfe]))).toThrow(/not valid UTF-8/);
  });

  it('refuses programs nested deeper than any client writes', () => {
    expect(syntaxError('NOT '.repeat(100) + 'SEEN')).toMatch(/nested too deeply/);
  });

  it('refuses more than 1,000 keys, and a sequence set of more than 1,000 ranges', () => {
    expect(() => program('SEEN '.repeat(1000).trim())).not.toThrow();
    expect(syntaxError('SEEN '.repeat(1001).trim())).toMatch(/too many search keys \(at most 1000\)/);
    expect(syntaxError(`OR ${'(SEEN) '.repeat(600)}`.trim())).toMatch(/too many search keys/);
    const ranges = (n: number) => Array.from({ length: n }, (_, i) => `${2 * i + 1}`).join(',');
    expect(() => program(`UID ${ranges(1000)}`)).not.toThrow();
    expect(syntaxError(`UID ${ranges(1001)}`)).toMatch(/sequence set in too many pieces \(1001 ranges, at most 1000\)/);
    expect(syntaxError(ranges(1001))).toMatch(/too many pieces/);
  });
});
