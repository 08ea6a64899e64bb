/** The shapes the pipeline sees; check.ts re-exports them with the entry point. */
import type { DocumentLimits } from './limits.js';
import type { DocumentRefusalCode } from './problem.js';

export interface Attachment {
  filename?: string;
  contentType: string;
  /** decoded (transfer encoding undone) */
  content: Buffer;
  /** where the part sits when it is not an attachment of the message itself: the forwarded message it came in */
  within?: string;
  /** set when the part could not be decoded: it is refused, since nobody can check what it holds */
  unreadable?: { check: 'MIME_ENCODING' | 'MIME_NESTING'; reason: string };
}

/** An HL7 instance identifier. */
export interface InstanceId {
  root: string;
  extension?: string;
}

export interface CdaDocument {
  /** the attachment's file name (for messages) */
  attachment: string;
  /** path inside the zip, when from an XDM */
  entry?: string;
  id: InstanceId;
  /** root + '^' + extension, or root alone when there is no extension: the document's unique key */
  idKey: string;
  setId: InstanceId;
  setIdKey: string;
  version: number;
  typeCode: string;
  typeCodeSystem: string;
  typeDisplayName?: string;
  title: string;
  /** raw HL7 TS */
  effectiveTime: string;
  /** parsed when the TS has at least a full date; without a zone, read as UTC */
  effectiveDate?: Date;
  /** the patient's matricule INS (checked), from recordTarget/patientRole/id */
  ins: string;
  insOid: string;
  patientName?: string;
  author: { name?: string; id?: string };
  custodian?: string;
  confidentialityCode: string;
  languageCode: string;
  body: 'N1' | 'N3';
  /** the decoded nonXMLBody PDF (N1) */
  pdf?: Buffer;
  /** the original CDA bytes */
  xml: Buffer;
  /** METADATA.XML confidentialityCode values (MASQUE_PS, INVISIBLE_PATIENT, INVISIBLE_REP_LEGAL, N, R, V…) */
  xdmConfidentiality: string[];
  /** METADATA.XML patientId (CX, e.g. 184127645108946^^^&1.2.250.1.213.1.4.8&ISO) */
  xdmPatientId?: string;
}

export interface DocumentRefusal {
  code: DocumentRefusalCode;
  /** the attachment's file name, or a description when it has none */
  attachment: string;
  /** which check failed (a DocumentCheck name) */
  check: string;
  /** precise English reason naming the attachment (and zip entry) and the check */
  message: string;
  /** the zip entry concerned, when the problem is inside an XDM */
  entry?: string;
}

export interface CheckOptions {
  /** when the recipient is a citizen: their INS (documents must all be about them) */
  recipientIns?: string;
  /** true when the recipient is a citizen: non-CDA attachments must be PDF/JPEG/PNG/TIFF/TXT/RTF by content, INVISIBLE_PATIENT refused */
  citizenRecipient: boolean;
  /** values of X-MSS-CODECDA and X-MSS-INS headers when present */
  headers?: { codeCda?: string; ins?: string };
  /** allow 1.2.250.1.213.1.4.10 (test) and 1.2.250.1.213.1.4.11 (demo) */
  acceptTestInsOids?: boolean;
  limits?: Partial<DocumentLimits>;
}

export interface CheckResult {
  /** the documents that passed every check, in attachment then metadata order */
  documents: CdaDocument[];
  /** the first refusal met; documents then holds those found before it */
  refusal?: DocumentRefusal;
}
