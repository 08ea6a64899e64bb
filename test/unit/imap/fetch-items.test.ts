/**
 * The FETCH item list (RFC 3501 §6.4.5) and modifiers (RFC 7162): macros, every item, the old
 * RFC822 names, PEEK versus \Seen, the answer's names for sections and partials, and what the
 * plan says a command costs (the MIME index only when an item needs it).
 */
import { describe, expect, it } from 'vitest';
import { FetchSyntaxError, parseFetchItems, withUid } from '../../../src/imap/fetch/items.js';
import type { ImapValue } from '../../../src/imap/protocol/values.js';

const a = (value: string, extra: Partial<Extract<ImapValue, { type: 'atom' }>> = {}): ImapValue => ({ type: 'atom', value, ...extra });
const l = (...items: ImapValue[]): ImapValue => ({ type: 'list', items });
const kinds = (args: ImapValue[]) => parseFetchItems(args).items.map((i) => (i.kind === 'section' ? i.label : i.kind));

describe('FETCH items', () => {
  it('expands ALL, FAST and FULL', () => {
    expect(kinds([a('ALL')])).toEqual(['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE']);
    expect(kinds([a('fast')])).toEqual(['FLAGS', 'INTERNALDATE', 'RFC822.SIZE']);
    expect(kinds([a('FULL')])).toEqual(['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY']);
    expect(() => parseFetchItems([l(a('ALL'))])).toThrow(FetchSyntaxError);
  });

  it('reads single items and lists, answers an item asked twice once', () => {
    expect(kinds([a('uid')])).toEqual(['UID']);
    expect(kinds([l(a('UID'), a('FLAGS'), a('RFC822.SIZE'), a('BODYSTRUCTURE'), a('ENVELOPE'), a('INTERNALDATE'), a('MODSEQ'), a('uid'))])).toEqual([
      'UID',
      'FLAGS',
      'RFC822.SIZE',
      'BODYSTRUCTURE',
      'ENVELOPE',
      'INTERNALDATE',
      'MODSEQ',
    ]);
  });

  it('names sections as the answer does: PEEK dropped, sections upper-cased, the partial origin kept', () => {
    const plan = parseFetchItems([
      l(
        a('BODY.PEEK', { section: [] }),
        a('body', { section: [a('1.2.mime')] }),
        a('BODY.PEEK', { section: [a('header.fields'), l(a('From'), a('Subject'))], partial: { start: 10, length: 20 } }),
        a('RFC822.HEADER'),
        a('RFC822.TEXT'),
        a('RFC822'),
      ),
    ]);
    expect(plan.items.map((i) => (i.kind === 'section' ? [i.label, i.seen] : i.kind))).toEqual([
      ['BODY[]', false],
      ['BODY[1.2.MIME]', true],
      ['BODY[HEADER.FIELDS (FROM SUBJECT)]<10>', false],
      ['RFC822.HEADER', false],
      ['RFC822.TEXT', true],
      ['RFC822', true],
    ]);
    expect(plan.setsSeen).toBe(true);
  });

  it('sets \\Seen only without PEEK, even when both forms of a section are asked', () => {
    expect(parseFetchItems([l(a('BODY.PEEK', { section: [] }), a('RFC822.HEADER'))]).setsSeen).toBe(false);
    const both = parseFetchItems([l(a('BODY.PEEK', { section: [] }), a('BODY', { section: [] }))]);
    expect(both.items).toHaveLength(1);
    expect(both.setsSeen).toBe(true);
  });

  it('needs the MIME index only for structure, envelope and parts, not for the whole message', () => {
    expect(parseFetchItems([l(a('UID'), a('FLAGS'), a('RFC822.SIZE'), a('BODY.PEEK', { section: [] }))]).needsMime).toBe(false);
    expect(parseFetchItems([a('RFC822')]).needsMime).toBe(false);
    expect(parseFetchItems([a('RFC822.HEADER')]).needsMime).toBe(true);
    expect(parseFetchItems([a('BODY.PEEK', { section: [a('1')] })]).needsMime).toBe(true);
    expect(parseFetchItems([a('ENVELOPE')]).needsMime).toBe(true);
    expect(parseFetchItems([a('BODY')]).needsMime).toBe(true);
  });

  it('reads CHANGEDSINCE and VANISHED, and CHANGEDSINCE brings MODSEQ along', () => {
    const plan = parseFetchItems([l(a('FLAGS')), l(a('CHANGEDSINCE'), a('12345'), a('VANISHED'))]);
    expect(plan.changedSince).toBe(12345);
    expect(plan.vanished).toBe(true);
    expect(plan.items.map((i) => i.kind)).toEqual(['FLAGS', 'MODSEQ']);
    expect(() => parseFetchItems([l(a('FLAGS')), l(a('VANISHED'))])).toThrow(/CHANGEDSINCE/);
    expect(() => parseFetchItems([l(a('FLAGS')), l(a('CHANGEDSINCE'))])).toThrow(FetchSyntaxError);
    expect(() => parseFetchItems([l(a('FLAGS')), l(a('CHANGEDSINCE'), a('-1'))])).toThrow(FetchSyntaxError);
    expect(() => parseFetchItems([l(a('FLAGS')), l(a('CHANGEDSINCE'), a('1'), a('CHANGEDSINCE'), a('2'))])).toThrow(FetchSyntaxError);
    expect(() => parseFetchItems([l(a('FLAGS')), l(a('UNKNOWN'))])).toThrow(FetchSyntaxError);
  });

  it('always answers UID FETCH with the UID, first when not asked', () => {
    expect(withUid(parseFetchItems([a('FLAGS')])).items.map((i) => i.kind)).toEqual(['UID', 'FLAGS']);
    expect(withUid(parseFetchItems([l(a('FLAGS'), a('UID'))])).items.map((i) => i.kind)).toEqual(['FLAGS', 'UID']);
  });

  it('refuses what the grammar does not allow, saying why in French and English', () => {
    const bad: ImapValue[][] = [
      [],
      [l()],
      [a('BODY.PEEK')],
      [a('BODY', { partial: { start: 0, length: 10 } })],
      [a('BODY', { section: [], partial: { start: 0, length: 0 } })],
      [a('FLAGS', { section: [] })],
      [a('BINARY', { section: [] })],
      [a('X-UNKNOWN')],
      [{ type: 'string', value: Buffer.from('FLAGS'), literal: false }],
      [a('BODY', { section: [a('0')] })],
      [a('FLAGS'), a('extra')],
      [a('FLAGS'), l(), a('more')],
    ];
    for (const args of bad) {
      expect(() => parseFetchItems(args), JSON.stringify(args)).toThrow(/ \/ /);
    }
  });

  it('takes 64 body sections in one FETCH, and refuses 65 saying so', () => {
    const sections = (n: number) => [l(...Array.from({ length: n }, (_, i) => a('BODY.PEEK', { section: [a('HEADER.FIELDS'), l(a(`X-${i}`))] })))];
    expect(parseFetchItems(sections(64)).items).toHaveLength(64);
    expect(() => parseFetchItems(sections(65))).toThrow(/^Trop de sections .* \/ Too many body sections in one FETCH \(65, at most 64\)$/);
  });
});
