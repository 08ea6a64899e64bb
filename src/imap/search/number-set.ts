/**
 * Sequence sets as SEARCH uses them: a membership test, not a list. `UID 1:*` on a folder with
 * UIDs in the billions must not enumerate anything, and a number past the end simply matches
 * nothing (a search is a filter; FETCH is the strict one). The syntax is sequence.ts's.
 */
import type { SequenceRange } from '../sequence.js';

/** ranges with from ≤ to as written; `*` is Infinity until a folder gives it a value */
export type NumberSet = readonly SequenceRange[];

export { parseSequenceSet as parseNumberSet, SequenceError as NumberSetError } from '../sequence.js';
export { formatSequenceSet as compactSet } from '../sequence.js';

/**
 * Whether an atom is meant as a sequence set: digits, `*`, `:` and `,` only. Looser than the
 * grammar on purpose, so that `1:2:3` is told it is a bad set rather than an unknown key.
 */
export function looksLikeSet(text: string): boolean {
  return /^[0-9*][0-9*:,]*$/.test(text);
}

/** `star` is the value of `*`; undefined when nothing is in use (an empty folder): `*` then matches nothing. */
export function inSet(set: NumberSet, n: number, star: number | undefined): boolean {
  for (const { from, to } of set) {
    const x = from === Infinity ? star : from;
    const y = to === Infinity ? star : to;
    if (x === undefined || y === undefined) continue;
    // `5:*` with `*` = 3 is `3:5` (RFC 3501 §9: the order of the ends does not matter).
    if (n >= Math.min(x, y) && n <= Math.max(x, y)) return true;
  }
  return false;
}
