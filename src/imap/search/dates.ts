/**
 * Days, as SEARCH compares them (RFC 3501 §6.4.4): BEFORE/ON/SINCE and their SENT* forms look at
 * the date only, "disregarding time and timezone". So a day is a calendar date, never an
 * instant: the Date: header's day is read as written, in the sender's own zone; INTERNALDATE's
 * day is the one FETCH INTERNALDATE shows (fetch/answer.ts writes it in UTC, `+0000`), so that
 * a client searching ON the day it was shown finds the message.
 */
import type { DateOp, Day } from './program.js';

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MS_PER_DAY = 86_400_000;

export class SearchDateError extends Error {
  override name = 'SearchDateError';
}

function dayOf(year: number, month: number, date: number): Day {
  return Date.UTC(year, month, date) / MS_PER_DAY;
}

/** A valid calendar date, or undefined (31-Feb, month 13…). */
function checkedDay(year: number, month: number, date: number): Day | undefined {
  if (month < 0 || month > 11 || date < 1 || date > 31) return undefined;
  const at = new Date(Date.UTC(year, month, date));
  return at.getUTCMonth() === month && at.getUTCDate() === date ? dayOf(year, month, date) : undefined;
}

/** RFC 3501 `date-text`: `1-Feb-1994` (the caller has removed any quotes). */
export function parseSearchDate(text: string): Day {
  const match = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(text);
  const month = match ? MONTHS.indexOf(match[2]!.toLowerCase()) : -1;
  const day = match && month >= 0 ? checkedDay(Number(match[3]), month, Number(match[1])) : undefined;
  if (day === undefined) throw new SearchDateError(`"${text}" is not a date like 1-Feb-2024`);
  return day;
}

/** INTERNALDATE's day, in UTC like FETCH INTERNALDATE. */
export function internalDay(date: Date): Day {
  return Math.floor(date.getTime() / MS_PER_DAY);
}

/**
 * The day a Date: header states (RFC 5322 §3.3, obsolete two- and three-digit years included),
 * as written: `Mon, 3 Mar 2025 23:30 -0500` is 3 March whatever the zone. Undefined when the
 * header cannot be read.
 */
export function sentDay(header: string | null): Day | undefined {
  if (!header) return undefined;
  const match = /(?:^|[\s,])(\d{1,2})\s+([A-Za-z]{3})[A-Za-z]*\.?\s+(\d{2,4})(?!\d)/.exec(header);
  if (!match) return undefined;
  const month = MONTHS.indexOf(match[2]!.toLowerCase());
  if (month < 0) return undefined;
  let year = Number(match[3]);
  // RFC 5322 §4.3: two digits are 19xx from 50 and 20xx below; three digits add 1900.
  if (match[3]!.length === 2) year += year < 50 ? 2000 : 1900;
  else if (match[3]!.length === 3) year += 1900;
  return checkedDay(year, month, Number(match[1]));
}

export function dayMatches(op: DateOp, wanted: Day, actual: Day): boolean {
  if (op === 'before') return actual < wanted;
  if (op === 'on') return actual === wanted;
  return actual >= wanted;
}
