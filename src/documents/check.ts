/**
 * The document checks of one message, as the pipeline runs them before the policy decides:
 * every attachment is recognised by its content, XDM zips and bare CDA files are checked down to
 * the CDA header, and the documents found must concern the recipient (one patient per message),
 * agree with the X-MSS-* headers and, for a citizen, not be marked invisible to them.
 * The first refusal wins; the same attachments always give the same result.
 */
import { readCda, type CdaHeader } from './cda.js';
import { resolveLimits, type DocumentLimits } from './limits.js';
import { DocumentProblem, quote, sanitize } from './problem.js';
import { CITIZEN_FORMATS, KIND_NAMES, sniff, type FileKind } from './sniff.js';
import type { Attachment, CdaDocument, CheckOptions, CheckResult, DocumentRefusal } from './types.js';
import { checkMetadataAgainstCda, readXdm } from './xdm.js';
import { parseXml, peekRoot } from './xml.js';
import { readZip } from './zip.js';

export { DEFAULT_DOCUMENT_LIMITS, type DocumentLimits } from './limits.js';
export type { DocumentCheck, DocumentRefusalCode } from './problem.js';
export type { Attachment, CdaDocument, CheckOptions, CheckResult, DocumentRefusal, InstanceId } from './types.js';

function refusal(problem: DocumentProblem, attachment: string): DocumentRefusal {
  const where = problem.entry === undefined ? '' : `entry ${quote(problem.entry)}: `;
  return {
    code: problem.code,
    attachment,
    check: problem.check,
    message: `${sanitize(attachment)}: ${where}${problem.detail}`,
    ...(problem.entry === undefined ? {} : { entry: problem.entry }),
  };
}

function attachmentName(attachment: Attachment, index: number): string {
  const name = attachment.filename?.trim();
  return name ? name : `attachment ${index + 1} (${attachment.contentType || 'no content type'})`;
}

/** Parses and checks one CDA file; problems are located in the zip entry when there is one. */
function readCdaFile(content: Buffer, limits: DocumentLimits, options: ReadOptions, entry?: string): CdaHeader {
  try {
    return readCda(parseXml(content, limits), content, { acceptTestInsOids: options.acceptTestInsOids ?? false });
  } catch (error) {
    throw error instanceof DocumentProblem && entry !== undefined ? error.inEntry(entry) : error;
  }
}

async function documentsOfXdm(content: Buffer, name: string, limits: DocumentLimits, options: ReadOptions): Promise<CdaDocument[]> {
  const files = await readZip(content, limits);
  return readXdm(files, limits).map((xdm) => {
    const header = readCdaFile(xdm.content, limits, options, xdm.entry);
    checkMetadataAgainstCda(xdm, header);
    return { ...header, attachment: name, entry: xdm.entry, xdmConfidentiality: xdm.confidentiality, xdmPatientId: xdm.patientId };
  });
}

function formatProblem(attachment: Attachment, kind: ReturnType<typeof sniff>): DocumentProblem {
  return new DocumentProblem(
    'FORBIDDEN_FORMAT',
    'ATTACHMENT_FORMAT',
    `the content is ${KIND_NAMES[kind]} (sent as ${quote(attachment.contentType || 'no content type')}); ` +
      'a citizen may only receive CDA documents and PDF, JPEG, PNG, TIFF, TXT or RTF files, recognised by their content',
  );
}

/** What one attachment holds, read once whoever the recipients are. */
type ReadAttachment =
  | { name: string; attachment: Attachment; kind: FileKind; documents: CdaDocument[] }
  | { name: string; problem: DocumentProblem };

/** The CDA documents of one attachment (none for an ordinary file), or why it is invalid for anyone. */
async function readAttachment(attachment: Attachment, name: string, limits: DocumentLimits, options: ReadOptions): Promise<ReadAttachment> {
  const kind = sniff(attachment.content);
  try {
    // A zip is an XDM attempt whatever its name: there is no other reason to send one here.
    if (kind === 'zip') return { name, attachment, kind, documents: await documentsOfXdm(attachment.content, name, limits, options) };
    // Any ClinicalDocument root is a CDA attempt, so a wrong namespace is refused, not waved through.
    if (kind === 'xml' && peekRoot(attachment.content)?.name === 'ClinicalDocument') {
      const header = readCdaFile(attachment.content, limits, options);
      return { name, attachment, kind, documents: [{ ...header, attachment: name, xdmConfidentiality: [] }] };
    }
    return { name, attachment, kind, documents: [] };
  } catch (error) {
    if (error instanceof DocumentProblem) return { name, problem: error };
    throw error;
  }
}

function describeDocument(document: CdaDocument): string {
  return document.entry === undefined ? quote(document.attachment) : `${quote(document.attachment)} entry ${quote(document.entry)}`;
}

/** One person per message, and that person is the recipient citizen when there is one. */
function checkPatient(document: CdaDocument, accepted: readonly CdaDocument[], options: Omit<CheckOptions, keyof ReadOptions>): void {
  const entry = document.entry;
  const recipient = options.recipientIns?.trim().toUpperCase();
  if (recipient !== undefined && document.ins !== recipient) {
    // The other person's INS is health data about them: the refusal does not repeat it.
    throw new DocumentProblem('WRONG_PATIENT', 'RECIPIENT_PATIENT', "the document concerns another patient: its INS is not the recipient's", entry);
  }
  const first = accepted[0];
  if (first && first.ins !== document.ins) {
    throw new DocumentProblem(
      'WRONG_PATIENT',
      'SINGLE_PATIENT',
      `documents of several patients in one message: this one does not concern the same patient as ${describeDocument(first)}`,
      entry,
    );
  }
  if (options.citizenRecipient && document.xdmConfidentiality.includes('INVISIBLE_PATIENT')) {
    throw new DocumentProblem(
      'INVALID_DOCUMENT',
      'INVISIBLE_PATIENT',
      'the document is marked INVISIBLE_PATIENT (invisible to the patient) in METADATA.XML: it must not be sent to the patient and goes to the record through its own channel',
      entry,
    );
  }
}

/** Header problems concern the message: the refusal names the attachments that hold documents. */
function headerRefusal(check: 'HEADER_CODECDA' | 'HEADER_INS', documents: readonly CdaDocument[], detail: string): DocumentRefusal {
  const attachment = [...new Set(documents.map((document) => document.attachment))].join(', ') || '(no document)';
  return { code: 'INVALID_DOCUMENT', attachment, check, message: `${sanitize(attachment)}: ${detail}` };
}

/** X-MSS-CODECDA and X-MSS-INS are the sender's summary of the documents: they must be true. */
function checkHeaders(documents: readonly CdaDocument[], headers: CheckOptions['headers']): DocumentRefusal | undefined {
  if (headers?.codeCda !== undefined) {
    const announced = new Set(headers.codeCda.split(',').map((code) => code.trim()).filter(Boolean));
    const actual = new Set(documents.map((document) => document.typeCode));
    const same = announced.size === actual.size && [...announced].every((code) => actual.has(code));
    if (!same) {
      const list = (codes: Set<string>): string => (codes.size === 0 ? 'none' : quote([...codes].sort().join(', ')));
      return headerRefusal('HEADER_CODECDA', documents, `the X-MSS-CODECDA header announces the document codes ${list(announced)} but the documents have ${list(actual)}`);
    }
  }
  if (headers?.ins !== undefined) {
    const value = headers.ins.trim().toUpperCase();
    const expected = documents.length > 0 ? 'O' : 'N';
    if (value !== 'O' && value !== 'N') {
      return headerRefusal('HEADER_INS', documents, `the X-MSS-INS header must be O or N, not ${quote(headers.ins)}`);
    }
    if (value !== expected) {
      const why = expected === 'O' ? 'the message carries documents with a qualified INS' : 'the message carries no document with a qualified INS';
      return headerRefusal('HEADER_INS', documents, `the X-MSS-INS header says ${value} but ${why} (expected ${expected})`);
    }
  }
  return undefined;
}

/** The options that do not depend on the recipient: what reading the attachments needs. */
export type ReadOptions = Pick<CheckOptions, 'acceptTestInsOids' | 'limits'>;

/** The attachments of one message, read once; `judge` then decides for each recipient. */
export interface ReadAttachments {
  attachments: readonly ReadAttachment[];
}

/** Reads (unzips, parses, checks the structure of) every attachment of a message, once. */
export async function readAttachments(attachments: Attachment[], options: ReadOptions = {}): Promise<ReadAttachments> {
  const limits = resolveLimits(options.limits);
  const read: ReadAttachment[] = [];
  for (const [index, attachment] of attachments.entries()) {
    const item = await readAttachment(attachment, attachmentName(attachment, index), limits, options);
    read.push(item);
    // Past the first invalid attachment nothing else can change the answer: stop reading.
    if ('problem' in item) break;
  }
  return { attachments: read };
}

/** Decides for one recipient (or all professionals) what `readAttachments` found. */
export function judge(read: ReadAttachments, options: Omit<CheckOptions, keyof ReadOptions>): CheckResult {
  const documents: CdaDocument[] = [];
  for (const item of read.attachments) {
    try {
      if ('problem' in item) throw item.problem;
      if (options.citizenRecipient && item.documents.length === 0 && !CITIZEN_FORMATS.has(item.kind)) {
        throw formatProblem(item.attachment, item.kind);
      }
      for (const document of item.documents) {
        checkPatient(document, documents, options);
        documents.push(document);
      }
    } catch (error) {
      if (error instanceof DocumentProblem) return { documents, refusal: refusal(error, item.name) };
      throw error;
    }
  }
  const headerProblem = checkHeaders(documents, options.headers);
  return headerProblem ? { documents, refusal: headerProblem } : { documents };
}

export async function checkAttachments(attachments: Attachment[], options: CheckOptions): Promise<CheckResult> {
  return judge(await readAttachments(attachments, options), options);
}
