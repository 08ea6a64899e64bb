import { describe, expect, it } from 'vitest';
import { SequenceError, formatSequenceSet, isSequenceSet, merged, missingUids, parseSequenceSet, resolveSequenceNumbers, resolveUids } from '../../../src/imap/sequence.js';

const UIDS = Uint32Array.from([3, 5, 6, 10, 11, 20]);

describe('sequence sets', () => {
  it('parses numbers, ranges in either order and *', () => {
    expect(parseSequenceSet('1:3,7,9:5,*')).toEqual([
      { from: 1, to: 3 },
      { from: 7, to: 7 },
      { from: 5, to: 9 },
      { from: Infinity, to: Infinity },
    ]);
    expect(parseSequenceSet('4:*')).toEqual([{ from: 4, to: Infinity }]);
  });

  it.each(['', '0', '01', '1:', ':2', '1,,2', 'a', '1:2:3', '-1', '1 2', '4294967296', '1,'])('refuses %j', (text) => {
    expect(() => parseSequenceSet(text)).toThrow(SequenceError);
  });

  it('accepts the highest 32-bit number', () => {
    expect(parseSequenceSet('4294967295')).toEqual([{ from: 4294967295, to: 4294967295 }]);
  });

  it('resolves sequence numbers to UIDs, deduplicated and ascending', () => {
    expect(resolveSequenceNumbers('1:2', UIDS)).toEqual([3, 5]);
    expect(resolveSequenceNumbers('*', UIDS)).toEqual([20]);
    expect(resolveSequenceNumbers('*:4', UIDS)).toEqual([10, 11, 20]);
    expect(resolveSequenceNumbers('2,1:3,3', UIDS)).toEqual([3, 5, 6]);
    expect(resolveSequenceNumbers('6,1', UIDS)).toEqual([3, 20]);
  });

  it('refuses a sequence number past EXISTS, and any in an empty folder', () => {
    expect(() => resolveSequenceNumbers('7', UIDS)).toThrow(/No message 7/);
    expect(() => resolveSequenceNumbers('1:7', UIDS)).toThrow(SequenceError);
    expect(() => resolveSequenceNumbers('*', new Uint32Array(0))).toThrow(SequenceError);
    expect(() => resolveSequenceNumbers('1', new Uint32Array(0))).toThrow(SequenceError);
  });

  it('uses only the first `length` entries of a longer array', () => {
    expect(resolveSequenceNumbers('*', UIDS, 3)).toEqual([6]);
    expect(resolveUids('1:*', UIDS, 2)).toEqual([3, 5]);
  });

  it('resolves UID sets, skipping UIDs that do not exist', () => {
    expect(resolveUids('1:4', UIDS)).toEqual([3]);
    expect(resolveUids('4,7,8,9', UIDS)).toEqual([]);
    expect(resolveUids('6:11', UIDS)).toEqual([6, 10, 11]);
    expect(resolveUids('11:6', UIDS)).toEqual([6, 10, 11]);
    expect(resolveUids('1:*', UIDS)).toEqual([3, 5, 6, 10, 11, 20]);
    expect(resolveUids('5,3,5', UIDS)).toEqual([3, 5]);
  });

  it('always includes the last message in N:* even when N is above every UID (RFC 3501 §6.4.8)', () => {
    expect(resolveUids('559:*', UIDS)).toEqual([20]);
    expect(resolveUids('*', UIDS)).toEqual([20]);
  });

  it('gives nothing for a UID set in an empty folder', () => {
    expect(resolveUids('1:*', new Uint32Array(0))).toEqual([]);
  });

  it('resolves a huge range without walking it (walking 4 billion numbers would never end)', () => {
    expect(resolveUids('1:4294967295', UIDS)).toHaveLength(6);
  });

  it('formats numbers as a compact set', () => {
    expect(formatSequenceSet([1, 2, 3, 5, 7, 8])).toBe('1:3,5,7:8');
    expect(formatSequenceSet([4])).toBe('4');
    expect(formatSequenceSet([])).toBe('');
  });

  it('tells sequence sets from other atoms', () => {
    expect(isSequenceSet('1:*,4')).toBe(true);
    expect(isSequenceSet('ALL')).toBe(false);
    expect(isSequenceSet('1:')).toBe(false);
  });

  it('finds the UIDs of a set missing from a folder from the gaps, never UID by UID', async () => {
    const present = Uint32Array.from([3, 5, 6, 10]);
    expect(await missingUids(merged(parseSequenceSet('1:*'), 12), present, 12)).toBe('1:2,4,7:9,11:12');
    expect(await missingUids(merged(parseSequenceSet('4:6,9:20'), 12), present, 12)).toBe('4,9,11:12');
    expect(await missingUids(merged(parseSequenceSet('3'), 12), present, 12)).toBe('');
    // a UIDNEXT of four billion costs the present UIDs, not four billion steps
    expect(await missingUids(merged(parseSequenceSet('1:*'), 4_000_000_000), present, 4_000_000_000)).toBe('1:2,4,7:9,11:4000000000');
    let pauses = 0;
    const many = Uint32Array.from({ length: 5000 }, (_, i) => 2 * i + 2);
    await missingUids(merged(parseSequenceSet('1:*'), 10_000), many, 10_000, async () => void pauses++, 1000);
    expect(pauses).toBe(5);
  });
});
