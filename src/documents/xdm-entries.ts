/**
 * What an entry of an XDM archive is, by its content. XDM carries any document format (ITI TF-1
 * §16: "document format agnostic"): besides CDA, a submission set may hold a PDF, an image, a
 * DICOM Key Object Selection (XDS-I) or the detached XML signature of the set (IHE DSG). Each is
 * judged as what it is; METADATA.XML's mimeType is the sender's claim and must agree with it.
 */
import { KIND_NAMES, sniff, type FileKind } from './sniff.js';
import { peekRoot } from './xml.js';

export type EntryFormat = FileKind | 'cda' | 'signature' | 'dicom';

export const ENTRY_FORMAT_NAMES: Readonly<Record<EntryFormat, string>> = {
  ...KIND_NAMES,
  cda: 'a CDA document',
  signature: 'an XML signature (IHE DSG)',
  dicom: 'a DICOM file',
};

const XMLDSIG = 'http://www.w3.org/2000/09/xmldsig#';

/** DICOM PS3.10: a 128-byte preamble, then "DICM". */
function isDicom(content: Buffer): boolean {
  return content.length >= 132 && content.toString('latin1', 128, 132) === 'DICM';
}

/**
 * The entry's format by its bytes. A ClinicalDocument root makes a CDA whatever else the bytes
 * look like, as for a bare attachment (claimsToBeCda): a wrong namespace or encoding is then
 * refused by the CDA checks, not waved through.
 */
export function entryFormat(content: Buffer): EntryFormat {
  if (isDicom(content)) return 'dicom';
  const kind = sniff(content);
  if (kind === 'zip') return kind;
  const root = peekRoot(content);
  if (root?.name === 'ClinicalDocument') return 'cda';
  if (root?.name === 'Signature' && root.ns === XMLDSIG) return 'signature';
  return kind;
}

/**
 * The formats each declared MIME type may hold (parameters and case ignored). A type not listed
 * here (application/octet-stream, a vendor type) declares nothing checkable: the content decides.
 */
const DECLARED: ReadonlyMap<string, readonly EntryFormat[]> = new Map<string, readonly EntryFormat[]>([
  ['text/xml', ['cda', 'signature', 'xml']],
  ['application/xml', ['cda', 'signature', 'xml']],
  ['application/hl7-v3+xml', ['cda']],
  ['application/hl7-cda+xml', ['cda']],
  ['application/pdf', ['pdf']],
  ['image/jpeg', ['jpeg']],
  ['image/png', ['png']],
  ['image/tiff', ['tiff']],
  ['text/rtf', ['rtf']],
  ['application/rtf', ['rtf']],
  // Plain text may look like markup; what matters is that it is not a binary format.
  ['text/plain', ['txt', 'xml', 'cda', 'signature', 'rtf']],
  ['application/dicom', ['dicom']],
]);

/** Whether the content is one of the formats the declared MIME type allows (true when it declares none). */
export function agreesWithMimeType(mimeType: string | undefined, format: EntryFormat): boolean {
  const type = mimeType?.split(';')[0]?.trim().toLowerCase();
  const allowed = type ? DECLARED.get(type) : undefined;
  return allowed === undefined || allowed.includes(format);
}
