/**
 * A file the citizen files into their own record (a PDF, a scan, a photo, a text received as an
 * attachment): which document type code it gets, and how its files are named. Mon espace santé
 * gives what a patient deposits the ANS codes DOCPAT01–09 ("… déposé par le patient"), one for
 * each category it can be put in; the citizen picks the category, the code follows.
 */
import { CATEGORIES, TYPE_CODES, type Category } from './type-codes.js';

/**
 * The type code of a document the citizen deposits in each category:
 *
 * - SANTE_RESUME → DOCPAT01 "Synthèse déposée par le patient". Not DOCPAT08 "Profil médical Mon
 *   espace santé": that one is the profile the service itself writes from what the citizen
 *   enters in it, never an uploaded file.
 * - ORDONNANCES_SOINS → DOCPAT02 "Traitement ou document de soins déposé par le patient" (so a
 *   scanned prescription the citizen keeps counts as one for rule 6, as the value set says).
 * - IMAGERIE → DOCPAT04, BIOLOGIE → DOCPAT05, COMPTES_RENDUS → DOCPAT03, PREVENTION → DOCPAT06,
 *   CERTIFICATS → DOCPAT07, ADMINISTRATIF → DOCPAT09: each category's own DOCPAT code.
 * - VACCINATIONS → DOCPAT06 "CR de prévention déposé par le patient": no DOCPAT code exists for
 *   vaccinations (Mon espace santé keeps them as entries of a vaccination book, not as uploads)
 *   and a vaccination is a prevention act; the document stays in the category the citizen chose.
 * - AUTRES → EXPPAT_2 "Autre document du patient": the value set's code (class 90, documents of
 *   the patient) for what fits no category; there is no DOCPAT for it.
 */
export const OWN_DOCUMENT_TYPE_CODES: Readonly<Record<Category, string>> = {
  SANTE_RESUME: 'DOCPAT01',
  ORDONNANCES_SOINS: 'DOCPAT02',
  IMAGERIE: 'DOCPAT04',
  BIOLOGIE: 'DOCPAT05',
  COMPTES_RENDUS: 'DOCPAT03',
  PREVENTION: 'DOCPAT06',
  CERTIFICATS: 'DOCPAT07',
  ADMINISTRATIF: 'DOCPAT09',
  VACCINATIONS: 'DOCPAT06',
  AUTRES: 'EXPPAT_2',
};

/** The type code (and its code system) of a document the citizen deposits in this category. */
export function ownDocumentType(category: Category): { code: string; codeSystem: string; displayName: string } {
  const code = OWN_DOCUMENT_TYPE_CODES[category];
  const entry = TYPE_CODES.find((t) => t.code === code)!;
  return { code, codeSystem: entry.codeSystem, displayName: entry.displayName };
}

/** The formats a citizen may keep in their record besides CDA documents (the formats they may receive). */
export const OWN_DOCUMENT_FORMATS = {
  pdf: { contentType: 'application/pdf', extension: 'pdf' },
  jpeg: { contentType: 'image/jpeg', extension: 'jpg' },
  png: { contentType: 'image/png', extension: 'png' },
  tiff: { contentType: 'image/tiff', extension: 'tif' },
  txt: { contentType: 'text/plain', extension: 'txt' },
  rtf: { contentType: 'application/rtf', extension: 'rtf' },
} as const;
export type OwnDocumentFormat = keyof typeof OWN_DOCUMENT_FORMATS;

const CDA_TYPE = 'text/xml';

/** The file extension for a record file of this type. */
export function extensionOf(contentType: string): string {
  if (contentType === CDA_TYPE) return 'xml';
  return Object.values(OWN_DOCUMENT_FORMATS).find((f) => f.contentType === contentType)?.extension ?? 'bin';
}

/**
 * The title of a deposited file: its name, made readable (no control characters, no folder
 * part, spaces tidied) and no longer than a CDA title may be (128 characters).
 */
export function ownDocumentTitle(fileName: string): string {
  const base = fileName.replace(/^.*[\\/]/, '');
  const text = base.replace(/[\p{Cc}\p{Cf}]+/gu, ' ').replace(/\s+/g, ' ').trim();
  return [...(text || 'Document')].slice(0, 128).join('');
}

/**
 * A file name for a download or an attachment, from a document's title: nothing a file system
 * or a Content-Disposition header would read as a path, a quote or a control; the extension
 * added unless the title already ends with it (a deposited file's title is its name).
 */
export function documentFileName(title: string, extension: string): string {
  const base =
    [...title.replace(/[\\/:*?"<>|\p{Cc}\p{Cf}]+/gu, ' ').replace(/\s+/g, ' ').trim()]
      .slice(0, 100)
      .join('')
      .replace(/^[.\s]+|[.\s]+$/g, '') || 'document';
  return base.toLowerCase().endsWith(`.${extension}`) || (extension === 'jpg' && /\.jpe?g$/i.test(base)) || (extension === 'tif' && /\.tiff?$/i.test(base))
    ? base
    : `${base}.${extension}`;
}

/** What a record document holds, as the routes that hand its files out need to know. */
export interface RecordFiles {
  /** the CDA, for a document of a message */
  cda?: { blobId: string; size: number };
  /** the PDF: extracted from a CDA, or the deposited file itself */
  pdf?: { blobId: string; size: number };
  /** the document's own file: the CDA, or the deposited file */
  original: { blobId: string; size: number; contentType: string; extension: string };
}

export function recordFiles(document: {
  source: 'message' | 'citizen';
  contentType: string;
  cdaBlobId: string;
  cdaSize: number;
  pdfBlobId: string | null;
  pdfSize: number | null;
}): RecordFiles {
  const original = { blobId: document.cdaBlobId, size: document.cdaSize, contentType: document.contentType, extension: extensionOf(document.contentType) };
  const pdf = document.pdfBlobId === null ? undefined : { blobId: document.pdfBlobId, size: document.pdfSize ?? 0 };
  const isCda = document.contentType === CDA_TYPE;
  return {
    ...(isCda ? { cda: { blobId: document.cdaBlobId, size: document.cdaSize } } : {}),
    ...(pdf ? { pdf } : {}),
    original,
  };
}
