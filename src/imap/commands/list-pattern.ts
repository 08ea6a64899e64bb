/**
 * LIST/LSUB patterns (RFC 3501 §6.3.8): `*` matches anything, `%` anything but the hierarchy
 * delimiter; INBOX matches in any case. Matched by dynamic programming over the name, so a
 * client's `*a*a*a*…` costs pattern × name steps, never backtracking; runs of wildcards are
 * one wildcard first (`****…` is `*`), and a pattern is MAX_PATTERN_LENGTH at most (list.ts).
 */
import { FOLDER_DELIMITER } from '../../store/types.js';

const INBOX = /^INBOX(\/|$)/;

/** characters of one pattern (reference included): longer is refused with BAD */
export const MAX_PATTERN_LENGTH = 1024;

/**
 * A run of wildcards matches what its widest member does: `%*%` is `*`, `%%` is `%`. The
 * matcher's cost is per pattern character, so `****…` (60 KB of it) costs one step.
 */
export function collapseWildcards(pattern: string): string {
  return pattern.replace(/[*%]{2,}/g, (run) => (run.includes('*') ? '*' : '%'));
}

export function matchesPattern(raw: string, name: string): boolean {
  const pattern = collapseWildcards(raw);
  // the first five characters of INBOX (and of INBOX/…) compare case-insensitively
  const folded = INBOX.test(name) ? 5 : 0;
  let states = new Uint8Array(name.length + 1);
  let next = new Uint8Array(name.length + 1);
  states[0] = 1;
  // code units on both sides: an astral character is two steps in each
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    next.fill(0);
    let any = false;
    if (p === '*') {
      const first = states.indexOf(1);
      if (first !== -1) next.fill(1, first);
      any = first !== -1;
    } else if (p === '%') {
      for (let j = 0; j <= name.length; j++) {
        if (!states[j] || next[j]) continue;
        next[j] = 1;
        any = true;
        for (let k = j; k < name.length && name[k] !== FOLDER_DELIMITER; k++) next[k + 1] = 1;
      }
    } else {
      const upper = p.toUpperCase();
      for (let j = 0; j < name.length; j++) {
        if (!states[j]) continue;
        const c = name[j];
        if (c === p || (j < folded && c === upper)) {
          next[j + 1] = 1;
          any = true;
        }
      }
    }
    if (!any) return false;
    // the two rows are swapped, not allocated again for each pattern character
    [states, next] = [next, states];
  }
  return states[name.length] === 1;
}
