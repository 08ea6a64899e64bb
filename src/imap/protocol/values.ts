/**
 * The two vocabularies of the IMAP layer: what the parser reads from a client (`ImapValue`) and
 * what commands hand the writer to say (`ImapOut`). Commands never build protocol text by hand:
 * the writer alone decides quoting, literals and streaming (writer.ts).
 */
import type { Readable } from 'node:stream';

/** `<start.length>` after a section (RFC 3501 §6.4.5); `length` absent in `BODY[]<start>` answers */
export interface Partial {
  start: number;
  length: number;
}

/** One parsed argument of a client command. */
export type ImapValue =
  /**
   * An atom as written, case kept (commands compare upper-cased). For fetch attributes such as
   * `BODY.PEEK[HEADER.FIELDS (From)]<0.100>`, `value` is `BODY.PEEK`, `section` holds the parsed
   * contents of the brackets (possibly empty: `BODY[]`) and `partial` the `<start.length>`.
   */
  | { type: 'atom'; value: string; section?: ImapValue[]; partial?: Partial }
  /** a quoted string or a literal ({n} / {n+}); `literal` tells which */
  | { type: 'string'; value: Buffer; literal: boolean }
  | { type: 'list'; items: ImapValue[] }
  | { type: 'nil' };

/** A whole client command. `UID FETCH …` is `{ command: 'FETCH', uid: true }`. */
export interface ParsedCommand {
  tag: string;
  /** upper-cased */
  command: string;
  uid: boolean;
  args: ImapValue[];
}

/** Positional reads of a stored range, `position` counted from the range's start. */
export interface RangeReader {
  read(into: Buffer, offset: number, length: number, position: number): Promise<number>;
  close(): Promise<void>;
}

/** One value of a server response. */
export type ImapOut =
  /** written as is: flags (\\Seen), keywords, response words (FLAGS, UID), sequence sets */
  | { t: 'atom'; v: string }
  | { t: 'number'; v: number }
  /** a string: quoted when it can be, a literal otherwise (8-bit, CR/LF, long) */
  | { t: 'string'; v: string | Buffer }
  /** always a literal, e.g. BODY[] data */
  | { t: 'literal'; v: Buffer }
  /**
   * a literal of known length streamed from storage: never held whole in memory. With `reader`,
   * the writer reads the bytes straight into its own output buffers (`open` is the fallback).
   */
  | { t: 'stream'; length: number; open: () => Readable; reader?: () => Promise<RangeReader> }
  | { t: 'list'; v: ImapOut[] }
  | { t: 'nil' };

export const atom = (v: string): ImapOut => ({ t: 'atom', v });
export const num = (v: number): ImapOut => ({ t: 'number', v });
export const str = (v: string | Buffer): ImapOut => ({ t: 'string', v });
export const list = (v: ImapOut[]): ImapOut => ({ t: 'list', v });
export const NIL: ImapOut = { t: 'nil' };
/** a string, or NIL when absent */
export const nstring = (v: string | Buffer | null | undefined): ImapOut => (v === null || v === undefined ? NIL : str(v));
