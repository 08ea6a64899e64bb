/**
 * Sequence sets (RFC 3501 §9 `sequence-set`): `1:*,4,7:5`. Parsed once into ranges, then
 * resolved against a folder's UIDs either by sequence number or by UID. `*` is the last
 * message (the highest UID, or EXISTS); a range may be written in either order.
 */

export class SequenceError extends Error {
  override name = 'SequenceError';
}

/** `*` is kept as Infinity until resolved. */
export interface SequenceRange {
  from: number;
  to: number;
}

const MAX = 0xffffffff;

function number(text: string, whole: string): number {
  if (text === '*') return Infinity;
  // nz-number: no leading zero, 1..2^32-1
  if (!/^[1-9]\d{0,9}$/.test(text)) throw new SequenceError(`Ensemble de messages invalide « ${whole} » / Invalid sequence set "${whole}"`);
  const n = Number(text);
  if (n > MAX) throw new SequenceError(`Numéro hors limites dans « ${whole} » / Number out of range in "${whole}"`);
  return n;
}

/** The ranges of a sequence set, each with from ≤ to (`*` as Infinity). */
export function parseSequenceSet(text: string): SequenceRange[] {
  if (text.length === 0 || text.length > 100_000) throw new SequenceError('Ensemble de messages vide ou trop long / Empty or too long sequence set');
  const ranges: SequenceRange[] = [];
  for (const part of text.split(',')) {
    const colon = part.indexOf(':');
    if (colon === -1) {
      const n = number(part, text);
      ranges.push({ from: n, to: n });
    } else {
      const a = number(part.slice(0, colon), text);
      const b = number(part.slice(colon + 1), text);
      ranges.push(a <= b ? { from: a, to: b } : { from: b, to: a });
    }
  }
  return ranges;
}

/** whether a text looks like a sequence set (SEARCH keys need to tell them from other atoms) */
export function isSequenceSet(text: string): boolean {
  return /^(\d+|\*)(:(\d+|\*))?(,(\d+|\*)(:(\d+|\*))?)*$/.test(text);
}

/** first index in `sorted[0, length)` whose value is ≥ `value` */
function lowerBound(sorted: ArrayLike<number>, length: number, value: number): number {
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Sorts and merges ranges (after `*` is replaced), so that each message is named once. */
export function merged(ranges: SequenceRange[], star: number): SequenceRange[] {
  const concrete = ranges
    .map((r) => {
      const a = r.from === Infinity ? star : r.from;
      const b = r.to === Infinity ? star : r.to;
      return a <= b ? { from: a, to: b } : { from: b, to: a };
    })
    .sort((x, y) => x.from - y.from);
  const out: SequenceRange[] = [];
  for (const r of concrete) {
    const last = out[out.length - 1];
    if (last && r.from <= last.to + 1) last.to = Math.max(last.to, r.to);
    else out.push({ ...r });
  }
  return out;
}

/**
 * The UIDs (ascending, distinct) that a set of sequence numbers names, in a folder whose
 * ascending UIDs are `uids[0, length)`. A number past the end is an error (RFC 3501 §9:
 * "*" in an empty folder too).
 */
export function resolveSequenceNumbers(text: string, uids: ArrayLike<number>, length = uids.length): number[] {
  const ranges = parseSequenceSet(text);
  if (length === 0) throw new SequenceError('Aucun message dans ce dossier / No messages in this mailbox');
  const out: number[] = [];
  for (const r of merged(ranges, length)) {
    if (r.to > length) throw new SequenceError(`Numéro de message ${r.to} inexistant (${length} messages) / No message ${r.to} (${length} messages)`);
    for (let seq = r.from; seq <= r.to; seq++) out.push(uids[seq - 1]!);
  }
  return out;
}

/**
 * The UIDs of `uids[0, length)` (ascending) that a UID set names; UIDs that do not exist are
 * skipped. `*` is the highest UID, so `559:*` always names the last message (RFC 3501 §6.4.8).
 */
export function resolveUids(text: string, uids: ArrayLike<number>, length = uids.length): number[] {
  const ranges = parseSequenceSet(text);
  if (length === 0) return [];
  const out: number[] = [];
  for (const r of merged(ranges, uids[length - 1]!)) {
    for (let i = lowerBound(uids, length, r.from); i < length && uids[i]! <= r.to; i++) out.push(uids[i]!);
  }
  return out;
}

/** Writes ascending numbers as a compact set: [1,2,3,5] → `1:3,5` (COPYUID, VANISHED, ESEARCH). */
export function formatSequenceSet(numbers: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < numbers.length) {
    const start = numbers[i]!;
    let end = start;
    while (i + 1 < numbers.length && numbers[i + 1] === end + 1) end = numbers[++i]!;
    parts.push(start === end ? String(start) : `${start}:${end}`);
    i++;
  }
  return parts.join(',');
}

/**
 * The UIDs of `ranges` (merged, ascending) up to `last` that are not in `present` (ascending),
 * as a compact set: what a QRESYNC client must forget when the journal no longer reaches back.
 * Steps through the ranges' ends and the present UIDs, never through every UID in between;
 * `pause` is awaited every `every` steps (a folder of a million messages is a million steps).
 */
export async function missingUids(
  ranges: readonly SequenceRange[],
  present: ArrayLike<number>,
  last: number,
  pause?: () => Promise<void>,
  every = 1000,
): Promise<string> {
  const parts: string[] = [];
  const gap = (from: number, to: number) => parts.push(from === to ? String(from) : `${from}:${to}`);
  let steps = 0;
  for (const r of ranges) {
    const to = Math.min(r.to, last);
    let cursor = Math.max(r.from, 1);
    for (let p = lowerBound(present, present.length, cursor); cursor <= to; p++) {
      const next = p < present.length ? present[p]! : Infinity;
      if (next > to) {
        gap(cursor, to);
        break;
      }
      if (next > cursor) gap(cursor, next - 1);
      cursor = next + 1;
      if (pause && ++steps % every === 0) await pause();
    }
  }
  return parts.join(',');
}
