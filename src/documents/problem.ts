/**
 * How a check says no. Checks deep inside a zip or an XML file throw a DocumentProblem; the
 * entry point catches the first one and turns it into the refusal the pipeline answers with.
 */

/** TOO_LARGE: the message's attachments cost more to check than one message may (budget.ts). */
export type DocumentRefusalCode = 'INVALID_DOCUMENT' | 'WRONG_PATIENT' | 'FORBIDDEN_FORMAT' | 'TOO_LARGE';

/** The names of the checks, as they appear in a refusal's `check` field. */
export type DocumentCheck =
  // the zip container
  | 'ZIP_FORMAT'
  | 'ZIP_ENTRY_COUNT'
  | 'ZIP_ENTRY_SIZE'
  | 'ZIP_TOTAL_SIZE'
  | 'ZIP_COMPRESSION_RATIO'
  | 'ZIP_DECLARED_SIZE'
  | 'ZIP_CRC'
  | 'ZIP_PATH'
  | 'ZIP_ABSOLUTE_PATH'
  | 'ZIP_SLIP'
  | 'ZIP_SYMLINK'
  | 'ZIP_DUPLICATE_NAME'
  | 'ZIP_ENCRYPTED'
  | 'ZIP_COMPRESSION_METHOD'
  | 'ZIP_OVERLAP'
  // the IHE XDM layout and its METADATA.XML
  | 'XDM_README'
  | 'XDM_INDEX'
  | 'XDM_METADATA'
  | 'XDM_METADATA_CONTENT'
  | 'XDM_NO_DOCUMENT'
  | 'XDM_DOCUMENT_MISSING'
  | 'XDM_SIZE'
  | 'XDM_HASH'
  | 'XDM_PATIENT'
  | 'XDM_TYPE_CODE'
  | 'XDM_MIME_TYPE'
  | 'XDM_UNLISTED_DOCUMENT'
  | 'XDM_ENTRY_FORMAT'
  // any XML file
  | 'XML_DOCTYPE'
  | 'XML_SIZE'
  | 'XML_DEPTH'
  | 'XML_ENCODING'
  | 'XML_SYNTAX'
  // the CDA header and body
  | 'CDA_ROOT'
  | 'CDA_TYPE_ID'
  | 'CDA_TEMPLATE_ID'
  | 'CDA_ID'
  | 'CDA_CODE'
  | 'CDA_CODE_SYSTEM'
  | 'CDA_TITLE'
  | 'CDA_EFFECTIVE_TIME'
  | 'CDA_CONFIDENTIALITY'
  | 'CDA_LANGUAGE'
  | 'CDA_SET_ID'
  | 'CDA_VERSION'
  | 'CDA_RECORD_TARGET'
  | 'CDA_INS_OID'
  | 'CDA_INS'
  | 'CDA_AUTHOR'
  | 'CDA_CUSTODIAN'
  | 'CDA_BODY'
  | 'CDA_PDF'
  // the message as a whole
  | 'RECIPIENT_PATIENT'
  | 'SINGLE_PATIENT'
  | 'HEADER_CODECDA'
  | 'HEADER_INS'
  | 'INVISIBLE_PATIENT'
  | 'ATTACHMENT_FORMAT'
  // what one message may cost to check, all attachments together
  | 'MESSAGE_ENTRIES'
  | 'MESSAGE_INFLATED_BYTES'
  | 'MESSAGE_CHECK_TIME'
  // a MIME part the checks cannot read
  | 'MIME_ENCODING'
  | 'MIME_NESTING';

export class DocumentProblem extends Error {
  override name = 'DocumentProblem';

  constructor(
    readonly code: DocumentRefusalCode,
    readonly check: DocumentCheck,
    /** what is wrong, in English, without the attachment's name (the entry point adds it) */
    readonly detail: string,
    /** the zip entry concerned, when there is one */
    readonly entry?: string,
  ) {
    super(detail);
  }

  /** The same problem, located in a zip entry (unless a deeper check already located it). */
  inEntry(entry: string): DocumentProblem {
    return this.entry === undefined ? new DocumentProblem(this.code, this.check, this.detail, entry) : this;
  }
}

/** Shorthand for the most common code. */
export function invalid(check: DocumentCheck, detail: string, entry?: string): DocumentProblem {
  return new DocumentProblem('INVALID_DOCUMENT', check, detail, entry);
}

const MAX_SHOWN = 100;

/**
 * A value from the attachment, made safe for a message. File names, codes and titles come from
 * the sender and end up in an SMTP reply: control characters (CR, LF above all) are escaped so
 * they can never break the reply, and long values are cut.
 */
export function sanitize(value: string, max = MAX_SHOWN): string {
  return escapeControls(cut(value, max));
}

/** A sanitized value in double quotes (inner quotes and backslashes escaped). */
export function quote(value: string, max = MAX_SHOWN): string {
  return `"${escapeControls(cut(value, max).replace(/["\\]/g, (c) => `\\${c}`))}"`;
}

function cut(value: string, max: number): string {
  const chars = [...value];
  return chars.length > max ? chars.slice(0, max).join('') + '...' : value;
}

function escapeControls(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
