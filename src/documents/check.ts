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
import { CITIZEN_FORMATS, KIND_NAMES, sniff } from './sniff.js';
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
function readCdaFile(content: Buffer, limits: DocumentLimits, options: CheckOptions, entry?: string): CdaHeader {
  try {
    return readCda(parseXml(content, limits), content, { acceptTestInsOids: options.acceptTestInsOids ?? false });
  } catch (error) {
    throw error instanceof DocumentProblem && entry !== undefined ? error.inEntry(entry) : error;
  }
}

async function documentsOfXdm(content: Buffer, name: string, limits: DocumentLimits, options: CheckOptions): Promise<CdaDocument[]> {
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

/** The CDA documents of one attachment: none for an ordinary file, once its format is allowed. */
async function documentsOf(attachment: Attachment, name: string, limits: DocumentLimits, options: CheckOptions): Promise<CdaDocument[]> {
  const kind = sniff(attachment.content);
  // A zip is an XDM attempt whatever its name: there is no other reason to send one here.
  if (kind === 'zip') return documentsOfXdm(attachment.content, name, limits, options);
  // Any ClinicalDocument root is a CDA attempt, so a wrong namespace is refused, not waved through.
  if (kind === 'xml' && peekRoot(attachment.content)?.name === 'ClinicalDocument') {
    const header = readCdaFile(attachment.content, limits, options);
    return [{ ...header, attachment: name, xdmConfidentiality: [] }];
  }
  if (options.citizenRecipient && !CITIZEN_FORMATS.has(kind)) throw formatProblem(attachment, kind);
  return [];
}

function describeDocument(document: CdaDocument): string {
  return document.entry === undefined ? quote(document.attachment) : `${quote(document.attachment)} entry ${quote(document.entry)}`;
}

/** One person per message, and that person is the recipient citizen when there is one. */
function checkPatient(document: CdaDocument, accepted: readonly CdaDocument[], options: CheckOptions): void {
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

export async function checkAttachments(attachments: Attachment[], options: CheckOptions): Promise<CheckResult> {
  const limits = resolveLimits(options.limits);
  const documents: CdaDocument[] = [];
  for (const [index, attachment] of attachments.entries()) {
    const name = attachmentName(attachment, index);
    try {
      for (const document of await documentsOf(attachment, name, limits, options)) {
        checkPatient(document, documents, options);
        documents.push(document);
      }
    } catch (error) {
      if (error instanceof DocumentProblem) return { documents, refusal: refusal(error, name) };
      throw error;
    }
  }
  const headerProblem = checkHeaders(documents, options.headers);
  return headerProblem ? { documents, refusal: headerProblem } : { documents };
}
