import { describe, expect, it } from 'vitest';
import { collapseWildcards, matchesPattern } from '../../../src/imap/commands/list-pattern.js';

describe('LIST patterns', () => {
  it('* crosses levels, % stops at the delimiter', () => {
    expect(matchesPattern('*', 'a/b/c')).toBe(true);
    expect(matchesPattern('%', 'a/b')).toBe(false);
    expect(matchesPattern('%', 'a')).toBe(true);
    expect(matchesPattern('a/%', 'a/b')).toBe(true);
    expect(matchesPattern('a/%', 'a/b/c')).toBe(false);
    expect(matchesPattern('a/*', 'a/b/c')).toBe(true);
    expect(matchesPattern('a/*', 'a')).toBe(false);
    expect(matchesPattern('%/%', 'a/b')).toBe(true);
    expect(matchesPattern('R%s', 'Reçus')).toBe(true);
    expect(matchesPattern('😀*', '😀 urgent')).toBe(true);
    expect(matchesPattern('%😀', 'a😀')).toBe(true);
    expect(matchesPattern('', '')).toBe(true);
    expect(matchesPattern('Sent', 'Sent')).toBe(true);
    expect(matchesPattern('sent', 'Sent')).toBe(false);
  });

  it('INBOX matches in any case, other names do not', () => {
    expect(matchesPattern('inbox', 'INBOX')).toBe(true);
    expect(matchesPattern('InBoX/%', 'INBOX/Old')).toBe(true);
    expect(matchesPattern('inbox*', 'INBOX')).toBe(true);
    expect(matchesPattern('inbox/old', 'INBOX/Old')).toBe(false);
    expect(matchesPattern('inboxes', 'INBOXES')).toBe(false);
  });

  it('ends on pathological patterns (a backtracking matcher would not)', () => {
    expect(matchesPattern('*a'.repeat(200) + 'b', 'a'.repeat(500))).toBe(false);
    expect(matchesPattern('%a'.repeat(200) + 'b', 'a'.repeat(500))).toBe(false);
  });

  it('collapses runs of wildcards: a run with a * is *, a run of % is %', () => {
    expect(collapseWildcards('a**%*b%%c%')).toBe('a*b%c%');
    expect(collapseWildcards('*'.repeat(60_000) + 'c')).toBe('*c');
    expect(matchesPattern('*'.repeat(60_000) + 'c', 'abc')).toBe(true);
    expect(matchesPattern('%%%/%%', 'a/b')).toBe(true);
    expect(matchesPattern('%%%/%%', 'a/b/c')).toBe(false);
  });
});
