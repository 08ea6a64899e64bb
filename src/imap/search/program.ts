/**
 * A search program as the parser reads it (criteria.ts) and the evaluator runs it
 * (evaluate.ts): a tree of keys, the charset its strings came in, and what to answer
 * (RFC 3501 SEARCH, or RFC 4731 ESEARCH when RETURN was given).
 */
import type { NumberSet } from './number-set.js';

/** Text fields the MIME index's envelope answers without reading the message. */
export type EnvelopeField = 'from' | 'to' | 'cc' | 'bcc' | 'subject';

/** A day as days since 1970-01-01 (calendar arithmetic only: no time, no zone). */
export type Day = number;

export type DateOp = 'before' | 'on' | 'since';

export type SearchKey =
  | { k: 'all' }
  /** a system flag or a keyword, present (`set`) or absent */
  | { k: 'flag'; flag: string; set: boolean }
  /** \Recent to this session */
  | { k: 'recent' }
  /** INTERNALDATE (`internal`) or the Date: header (`sent`), by day */
  | { k: 'date'; field: 'internal' | 'sent'; op: DateOp; day: Day }
  /** RFC822.SIZE strictly larger or smaller than `size` */
  | { k: 'size'; op: 'larger' | 'smaller'; size: number }
  /** a sequence set, by sequence numbers (`uid` false) or UIDs */
  | { k: 'set'; uid: boolean; set: NumberSet }
  /** RFC 7162: the message's MODSEQ is at least `modseq` */
  | { k: 'modseq'; modseq: number }
  /** `text` is folded (text-match.ts fold) */
  | { k: 'envelope'; field: EnvelopeField; text: string }
  /** HEADER name text: `name` lower-cased, `text` folded; '' matches any message with the field */
  | { k: 'header'; name: string; text: string }
  /** BODY (text parts) or TEXT (headers and text parts); `text` folded */
  | { k: 'body'; withHeaders: boolean; text: string }
  | { k: 'and'; keys: SearchKey[] }
  | { k: 'or'; a: SearchKey; b: SearchKey }
  | { k: 'not'; key: SearchKey };

/** RFC 4731 RETURN options; RETURN () means ALL. */
export interface ReturnOptions {
  min: boolean;
  max: boolean;
  all: boolean;
  count: boolean;
  /** RFC 5182 SEARCHRES; parsed so that the refusal can name it */
  save: boolean;
}

export interface SearchProgram {
  /** the keys, ANDed */
  key: SearchKey;
  /** null when the client named none (US-ASCII by RFC 3501, read as UTF-8) */
  charset: 'UTF-8' | 'US-ASCII' | null;
  /** null: answer with `* SEARCH`; otherwise with `* ESEARCH` */
  returns: ReturnOptions | null;
  /** the program uses MODSEQ: answers carry the highest MODSEQ, and CONDSTORE is on (RFC 7162 §3.1) */
  usesModseq: boolean;
}
