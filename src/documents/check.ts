/**
 * The document checks of one message, as the pipeline runs them before the policy decides:
 * every attachment is recognised by its content, XDM zips and bare CDA files are checked down to
 * the CDA header, and the documents found must concern the recipient (one patient per message),
 * agree with the X-MSS-* headers and, for a citizen, not be marked invisible to them.
 * The first refusal wins; the same attachments always give the same result.
 */
import { CheckBudget } from './budget.js';
import { claimsToBeCda, readCda, type CdaHeader } from './cda.js';
import { resolveLimits, type DocumentLimits } from './limits.js';
import { DocumentProblem, quote, sanitize } from './problem.js';
import { CITIZEN_FORMATS, HIDDEN_NAMES, KIND_NAMES, hiddenFormat, sniff, type FileKind, type HiddenFormat } from './sniff.js';
import type { Attachment, CdaDocument, CheckOptions, CheckResult, DocumentRefusal } from './types.js';
import { citizenEntryProblem, readXdmAttachment, type XdmEntry } from './xdm-check.js';
import { parseXml } from './xml.js';

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
  const name = attachment.filename?.trim() || `attachment ${index + 1} (${attachment.contentType || 'no content type'})`;
  return attachment.within ? `${name} (in ${attachment.within})` : name;
}

/** Parses and checks one CDA file; problems are located in the zip entry when there is one. */
function readCdaFile(content: Buffer, limits: DocumentLimits, options: ReadOptions, entry?: string): CdaHeader {
  try {
    return readCda(parseXml(content, limits), content, { acceptTestInsOids: options.acceptTestInsOids ?? false });
  } catch (error) {
    throw error instanceof DocumentProblem && entry !== undefined ? error.inEntry(entry) : error;
  }
}

/** A MIME part the message reader could not decode (content.ts): nobody can tell what it holds. */
function unreadableProblem(attachment: Attachment): DocumentProblem | undefined {
  const unreadable = attachment.unreadable;
  // The reason may quote the sender's words (an encoding name, a subject): made safe for a reply.
  return unreadable && new DocumentProblem('INVALID_DOCUMENT', unreadable.check, `${sanitize(unreadable.reason, 300)}, so it cannot be checked`);
}

function formatProblem(attachment: Attachment, kind: ReturnType<typeof sniff>): DocumentProblem {
  return new DocumentProblem(
    'FORBIDDEN_FORMAT',
    'ATTACHMENT_FORMAT',
    `the content is ${KIND_NAMES[kind]} (sent as ${quote(attachment.contentType || 'no content type')}); ` +
      'a citizen may only receive CDA documents and PDF, JPEG, PNG, TIFF, TXT or RTF files, recognised by their content',
  );
}

/** A file that is two formats at once: each program opens its own part, so no check holds. */
function polyglotProblem(attachment: Attachment, kind: FileKind, hidden: HiddenFormat): DocumentProblem {
  return new DocumentProblem(
    'FORBIDDEN_FORMAT',
    'ATTACHMENT_FORMAT',
    `the content is ${KIND_NAMES[kind]} and ${HIDDEN_NAMES[hidden]} at once (sent as ${quote(attachment.contentType || 'no content type')}); ` +
      'a file that is two formats at once is refused for a citizen',
  );
}

/** What one attachment holds, read once whoever the recipients are; `hidden`: the second format of a polyglot. */
type ReadAttachment =
  | { name: string; attachment: Attachment; kind: FileKind; hidden?: HiddenFormat; documents: CdaDocument[]; xdm?: XdmEntry[] }
  | { name: string; problem: DocumentProblem };

/** The CDA documents of one attachment (none for an ordinary file), or why it is invalid for anyone. */
async function readAttachment(attachment: Attachment, name: string, limits: DocumentLimits, options: ReadOptions, budget: CheckBudget): Promise<ReadAttachment> {
  const kind = sniff(attachment.content);
  try {
    const unreadable = unreadableProblem(attachment);
    if (unreadable) throw unreadable;
    // A zip is an XDM attempt whatever its name: there is no other reason to send one here.
    if (kind === 'zip') {
      const xdm = await readXdmAttachment(attachment.content, name, limits, budget, (content, entry) => readCdaFile(content, limits, options, entry));
      return { name, attachment, kind, documents: xdm.documents, xdm: xdm.entries };
    }
    const hidden = hiddenFormat(attachment.content, kind);
    const found = hidden ? { name, attachment, kind, hidden } : { name, attachment, kind };
    // Whatever its name, type or encoding, a file whose root is ClinicalDocument is checked as a CDA.
    if (claimsToBeCda(attachment.content)) {
      const header = readCdaFile(attachment.content, limits, options);
      return { ...found, documents: [{ ...header, attachment: name, xdmConfidentiality: [] }] };
    }
    return { ...found, documents: [] };
  } catch (error) {
    if (error instanceof DocumentProblem) return { name, problem: error };
    throw error;
  }
}

/** What the patient rule needs of a document: whose it is, where it sits, and its XDM visibility. */
type PatientClaim = Pick<CdaDocument, 'attachment' | 'entry' | 'ins' | 'xdmConfidentiality'>;

function describeDocument(document: PatientClaim): string {
  return document.entry === undefined ? quote(document.attachment) : `${quote(document.attachment)} entry ${quote(document.entry)}`;
}

/** One person per message, and that person is the recipient citizen when there is one. */
function checkPatient(document: PatientClaim, accepted: readonly PatientClaim[], options: Omit<CheckOptions, keyof ReadOptions>): void {
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
  checkVisible(document, options);
}

/** A document the XDM metadata marks INVISIBLE_PATIENT never reaches the citizen, whatever its format. */
function checkVisible(document: Pick<PatientClaim, 'entry' | 'xdmConfidentiality'>, options: Omit<CheckOptions, keyof ReadOptions>): void {
  if (options.citizenRecipient && document.xdmConfidentiality.includes('INVISIBLE_PATIENT')) {
    throw new DocumentProblem(
      'INVALID_DOCUMENT',
      'INVISIBLE_PATIENT',
      'the document is marked INVISIBLE_PATIENT (invisible to the patient) in METADATA.XML: it must not be sent to the patient and goes to the record through its own channel',
      document.entry,
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
  // One budget for the whole message: many attachments must not add up what one may not cost.
  const budget = new CheckBudget(limits);
  const read: ReadAttachment[] = [];
  for (const [index, attachment] of attachments.entries()) {
    const name = attachmentName(attachment, index);
    let item: ReadAttachment;
    try {
      budget.checkTime();
      item = await readAttachment(attachment, name, limits, options, budget);
    } catch (error) {
      if (!(error instanceof DocumentProblem)) throw error;
      item = { name, problem: error };
    }
    read.push(item);
    // Past the first invalid attachment nothing else can change the answer: stop reading.
    if ('problem' in item) break;
  }
  return { attachments: read };
}

/** Decides for one recipient (or all professionals) what `readAttachments` found. */
export function judge(read: ReadAttachments, options: Omit<CheckOptions, keyof ReadOptions>): CheckResult {
  const documents: CdaDocument[] = [];
  // Whose documents the message carries: the CDA, and the XDM's other documents by their metadata.
  const patients: PatientClaim[] = [];
  for (const item of read.attachments) {
    try {
      if ('problem' in item) throw item.problem;
      if (options.citizenRecipient && item.hidden) throw polyglotProblem(item.attachment, item.kind, item.hidden);
      // An XDM is judged entry by entry below, not as the zip it comes in.
      if (options.citizenRecipient && !item.xdm && item.documents.length === 0 && !CITIZEN_FORMATS.has(item.kind)) {
        throw formatProblem(item.attachment, item.kind);
      }
      for (const document of item.documents) {
        checkPatient(document, patients, options);
        documents.push(document);
        patients.push(document);
      }
      for (const entry of item.xdm ?? []) {
        // A document of another kind names its patient in METADATA.XML only: that is checked too.
        const claim = { attachment: item.name, entry: entry.entry, xdmConfidentiality: entry.confidentiality };
        if (entry.ins === undefined) {
          checkVisible(claim, options);
        } else {
          checkPatient({ ...claim, ins: entry.ins }, patients, options);
          patients.push({ ...claim, ins: entry.ins });
        }
      }
      if (options.citizenRecipient) {
        for (const entry of item.xdm ?? []) {
          const problem = citizenEntryProblem(entry);
          if (problem) throw problem;
        }
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
