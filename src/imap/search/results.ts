/**
 * The untagged answers to a search: RFC 3501's `* SEARCH 2 5 7`, with RFC 7162's `(MODSEQ n)`
 * when the program used MODSEQ, or RFC 4731's `* ESEARCH (TAG "a1") UID MIN 2 COUNT 3` when the
 * client gave RETURN options.
 */
import { atom, list, num, str, type ImapOut } from '../protocol/values.js';
import { compactSet } from './number-set.js';
import type { SearchProgram } from './program.js';
import type { SearchHit } from './evaluate.js';

function highest(hits: readonly SearchHit[]): number {
  let max = 0;
  for (const h of hits) if (h.modseq > max) max = h.modseq;
  return max;
}

/** `SEARCH n…` — an empty result is the bare word (RFC 3501 §7.2.5). */
export function searchResponse(hits: readonly SearchHit[], program: SearchProgram, byUid: boolean): ImapOut[] {
  const items: ImapOut[] = [atom('SEARCH'), ...hits.map((h) => num(byUid ? h.uid : h.seq))];
  // RFC 7162 §3.1.5: the highest MODSEQ of the messages returned, only when there are some.
  if (program.usesModseq && hits.length) items.push(list([atom('MODSEQ'), num(highest(hits))]));
  return items;
}

/** `ESEARCH (TAG "t") [UID] …` — MIN, MAX and ALL are left out when nothing matched (RFC 4731 §3.1). */
export function esearchResponse(tag: string, hits: readonly SearchHit[], program: SearchProgram, byUid: boolean): ImapOut[] {
  const returns = program.returns!;
  const items: ImapOut[] = [atom('ESEARCH'), list([atom('TAG'), str(tag)])];
  if (byUid) items.push(atom('UID'));
  const value = (h: SearchHit) => (byUid ? h.uid : h.seq);
  const first = hits[0];
  const last = hits[hits.length - 1];
  if (returns.min && first) items.push(atom('MIN'), num(value(first)));
  if (returns.max && last) items.push(atom('MAX'), num(value(last)));
  if (returns.count) items.push(atom('COUNT'), num(hits.length));
  if (returns.all && hits.length) items.push(atom('ALL'), atom(compactSet(hits.map(value))));
  if (program.usesModseq && first && last) {
    // RFC 4731 §3.2: the MODSEQ of what is returned — all the matches for ALL or COUNT,
    // otherwise only the messages MIN and MAX name.
    const named = returns.all || returns.count ? hits : [...(returns.min ? [first] : []), ...(returns.max ? [last] : [])];
    if (named.length) items.push(atom('MODSEQ'), num(highest(named)));
  }
  return items;
}
