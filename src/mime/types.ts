/**
 * The MIME index of a stored message: its structure with the byte offsets of every part in the
 * stored file, and the envelope of the message and of every message/rfc822 part inside it.
 * Built once, while the message streams to disk (see indexer.ts), and kept with the message, so
 * that IMAP's FETCH BODYSTRUCTURE / ENVELOPE / BODY[1.2] and the webmail's attachment list never
 * parse the message again: a part is a byte range of the stored file.
 *
 * Everything here is plain JSON. Header-derived strings are kept as they appear in the message
 * (unfolded, encoded words not decoded), which is what IMAP answers; `decodeWords`
 * (header.ts) turns them into text for people.
 */

/** An address as IMAP's ENVELOPE has it (RFC 3501 §7.4.2), groups included. */
export interface EnvelopeAddress {
  /** display name, raw (may hold RFC 2047 encoded words) */
  name: string | null;
  /** source route (obsolete; always null unless present) */
  adl: string | null;
  /** local part; for a group start, the group's name; null at a group's end */
  mailbox: string | null;
  /** domain; null for a group start or end */
  host: string | null;
}

/** RFC 3501 ENVELOPE. Absent header → null (addresses: empty list). */
export interface Envelope {
  date: string | null;
  subject: string | null;
  from: EnvelopeAddress[];
  /** defaults to `from` when the header is absent, as RFC 3501 requires */
  sender: EnvelopeAddress[];
  /** defaults to `from` when the header is absent, as RFC 3501 requires */
  replyTo: EnvelopeAddress[];
  to: EnvelopeAddress[];
  cc: EnvelopeAddress[];
  bcc: EnvelopeAddress[];
  inReplyTo: string | null;
  messageId: string | null;
}

/**
 * A parameter list in the order of the header, continuations (RFC 2231 `name*0`, `name*1*`)
 * joined. A parameter that used RFC 2231 extended syntax keeps it in its value and its name
 * ends in `*` (`filename*` = `utf-8''r%C3%A9sultat.pdf`): 7-bit, as IMAP strings must be.
 * `paramValue` (header.ts) gives the decoded text.
 */
export type MimeParams = Array<[name: string, value: string]>;

export interface MimePart {
  /** offset of the part's first header line in the stored message */
  headerStart: number;
  /** offset of the body: just past the empty line that ends the header */
  bodyStart: number;
  /** offset just past the body (the CRLF before a boundary belongs to the boundary) */
  bodyEnd: number;
  /** lines of the body */
  bodyLines: number;
  /** lower-cased; `text`/`plain` when the part has no Content-Type (RFC 2045 defaults) */
  type: string;
  subtype: string;
  params: MimeParams;
  /** Content-ID, raw */
  id: string | null;
  /** Content-Description, raw */
  description: string | null;
  /** Content-Transfer-Encoding, lower-cased; '7bit' when absent */
  encoding: string;
  /** Content-MD5, raw */
  md5: string | null;
  /** Content-Disposition: type lower-cased */
  disposition: { type: string; params: MimeParams } | null;
  /** Content-Language tags */
  language: string[] | null;
  /** Content-Location, raw */
  location: string | null;
  /** the parts of a multipart, in order */
  parts?: MimePart[];
  /** the message inside a message/rfc822 (or message/global) part */
  message?: { envelope: Envelope; root: MimePart };
}

export interface MimeIndex {
  /** the format of this structure, to re-index old messages if it ever changes */
  version: 1;
  /** bytes of the stored message */
  size: number;
  envelope: Envelope;
  root: MimePart;
}
