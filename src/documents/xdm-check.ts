/**
 * One XDM attachment, checked entry by entry: the zip safely read (within the message's budget),
 * the layout and metadata read (xdm.ts), each listed CDA given the CDA checks and compared with
 * its metadata, and every other entry kept with what it is, for the per-recipient rules: a
 * citizen receives only the formats allowed to citizens, and no document about someone else,
 * whatever its format.
 */
import type { CheckBudget } from './budget.js';
import type { CdaHeader } from './cda.js';
import { INS_DEMO_OID, INS_NIA_OID, INS_NIR_OID, INS_TEST_OID } from './cda.js';
import type { DocumentLimits } from './limits.js';
import { DocumentProblem } from './problem.js';
import { CITIZEN_FORMATS, hiddenFormat, HIDDEN_NAMES, type FileKind, type HiddenFormat } from './sniff.js';
import type { CdaDocument } from './types.js';
import { ENTRY_FORMAT_NAMES, type EntryFormat } from './xdm-entries.js';
import { checkMetadataAgainstCda, parseCx, readXdm } from './xdm.js';
import { readZip } from './zip.js';

/** An entry of the archive that is not a CDA: a listed document of another kind, or an extra file. */
export interface XdmEntry {
  entry: string;
  format: EntryFormat;
  /** listed in METADATA.XML (a document of the submission set) */
  listed: boolean;
  /** the second format of a polyglot file */
  hidden?: HiddenFormat;
  /** for a listed document: the INS METADATA.XML gives as its patient, when the patientId is an INS */
  ins?: string;
  /** for a listed document: its XDM confidentiality codes */
  confidentiality: string[];
}

export interface XdmFindings {
  documents: CdaDocument[];
  entries: XdmEntry[];
}

const INS_OIDS: ReadonlySet<string> = new Set([INS_NIR_OID, INS_NIA_OID, INS_TEST_OID, INS_DEMO_OID]);

/** Besides CDA, what a citizen may receive as a listed document: the allowed files, a DICOM object, a signature. */
const CITIZEN_DOCUMENTS: ReadonlySet<EntryFormat> = new Set<EntryFormat>([...CITIZEN_FORMATS, 'dicom', 'signature']);

function isFileKind(format: EntryFormat): format is FileKind {
  return format !== 'cda' && format !== 'signature' && format !== 'dicom';
}

function polyglot(content: Buffer, format: EntryFormat): HiddenFormat | undefined {
  return isFileKind(format) ? hiddenFormat(content, format) : undefined;
}

/** The INS a CX patient identifier holds, when its assigning authority is an INS OID. */
function insOf(patientId: string): string | undefined {
  const { id, oid } = parseCx(patientId);
  return oid !== undefined && INS_OIDS.has(oid) && id ? id.toUpperCase() : undefined;
}

export type ReadCdaFile = (content: Buffer, entry: string) => CdaHeader;

export async function readXdmAttachment(
  content: Buffer,
  name: string,
  limits: DocumentLimits,
  budget: CheckBudget,
  readCdaFile: ReadCdaFile,
): Promise<XdmFindings> {
  const files = await readZip(content, limits, budget);
  const xdm = readXdm(files, limits);
  const documents: CdaDocument[] = [];
  const entries: XdmEntry[] = [];
  for (const document of xdm.documents) {
    budget.checkTime(document.entry);
    if (document.format === 'cda') {
      const header = readCdaFile(document.content, document.entry);
      checkMetadataAgainstCda(document, header);
      documents.push({
        ...header,
        attachment: name,
        entry: document.entry,
        xdmConfidentiality: document.confidentiality,
        xdmPatientId: document.patientId,
      });
      continue;
    }
    const hidden = polyglot(document.content, document.format);
    const ins = insOf(document.patientId);
    entries.push({
      entry: document.entry,
      format: document.format,
      listed: true,
      confidentiality: document.confidentiality,
      ...(hidden ? { hidden } : {}),
      ...(ins ? { ins } : {}),
    });
  }
  const byName = new Map(files.map((file) => [file.name, file.content] as const));
  for (const extra of xdm.extras) {
    const hidden = polyglot(byName.get(extra.entry) ?? Buffer.alloc(0), extra.format);
    entries.push({ entry: extra.entry, format: extra.format, listed: false, confidentiality: [], ...(hidden ? { hidden } : {}) });
  }
  return { documents, entries };
}

/**
 * Why a citizen may not receive this entry, or undefined. Listed documents may be of any format a
 * citizen may receive, a DICOM object or the set's signature; the other entries (what sits next
 * to INDEX.HTM) only of the allowed file formats: a page, a program or a nested zip is refused.
 */
export function citizenEntryProblem(entry: XdmEntry): DocumentProblem | undefined {
  const allowed: ReadonlySet<EntryFormat> = entry.listed ? CITIZEN_DOCUMENTS : CITIZEN_FORMATS;
  const what = entry.listed ? 'a document of the XDM' : 'a file of the XDM that METADATA.XML does not list';
  if (!allowed.has(entry.format)) {
    return new DocumentProblem(
      'FORBIDDEN_FORMAT',
      'XDM_ENTRY_FORMAT',
      `${what} is ${ENTRY_FORMAT_NAMES[entry.format]}; besides CDA documents, a citizen may only receive PDF, JPEG, PNG, TIFF, TXT or RTF files, recognised by their content`,
      entry.entry,
    );
  }
  if (entry.hidden) {
    return new DocumentProblem(
      'FORBIDDEN_FORMAT',
      'XDM_ENTRY_FORMAT',
      `${what} is ${ENTRY_FORMAT_NAMES[entry.format]} and ${HIDDEN_NAMES[entry.hidden]} at once; a file that is two formats at once is refused for a citizen`,
      entry.entry,
    );
  }
  return undefined;
}
