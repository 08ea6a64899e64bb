/**
 * IHE XDM (ITI-32) as MSSanté uses it: README.TXT, INDEX.HTM and IHE_XDM/<subset>/METADATA.XML,
 * an ebRIM 3.0 SubmitObjectsRequest whose XDSDocumentEntry objects name the documents with their
 * size, SHA-1, patient, type code and confidentiality codes. The metadata is what the record and
 * the visibility rules trust, so it must agree with the files and with the CDA themselves.
 *
 * Every entry is accounted for: the layout files are checked for what they must be, each
 * document METADATA.XML lists is checked against its entry (size, hash, declared MIME type) and
 * then judged by its own kind (xdm-entries.ts), and what is left — entries neither of the layout
 * nor listed — is returned with its format, for the format rule to judge per recipient. A CDA
 * that METADATA.XML does not list is refused: it would be a document nobody checked.
 */
import { createHash } from 'node:crypto';
import type { DocumentLimits } from './limits.js';
import { DocumentProblem, invalid, quote } from './problem.js';
import { ENTRY_FORMAT_NAMES, agreesWithMimeType, entryFormat, type EntryFormat } from './xdm-entries.js';
import { attribute, childNamed, childrenNamed, descendants, parseXml, type XmlElement } from './xml.js';
import type { ZipFileEntry } from './zip.js';

const RIM = 'urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0';
const DOCUMENT_ENTRY_TYPE = 'urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1';
const PATIENT_ID_SCHEME = 'urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427';
const TYPE_CODE_SCHEME = 'urn:uuid:f0306f51-975f-434e-a61c-c59651d33983';
const CONFIDENTIALITY_SCHEME = 'urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f';

const METADATA_PATH = /^IHE_XDM\/([^/]+)\/METADATA\.XML$/i;

/** One XDSDocumentEntry and the file it points to. */
export interface XdmDocument {
  /** the document's path in the zip */
  entry: string;
  content: Buffer;
  /** CX value: ID^^^&OID&ISO */
  patientId: string;
  typeCode?: string;
  /** the typeCode's codingScheme slot (an OID such as LOINC's, or a legacy name) */
  typeCodeScheme?: string;
  confidentiality: string[];
  /** the ExtrinsicObject's mimeType, as declared */
  mimeType?: string;
  /** what the file is, by its content (it agrees with mimeType): a CDA gets the CDA checks */
  format: EntryFormat;
}

/** An entry that is neither a layout file nor a listed document: README/INDEX's companions, or worse. */
export interface XdmExtra {
  entry: string;
  format: EntryFormat;
}

export interface XdmContent {
  documents: XdmDocument[];
  extras: XdmExtra[];
}

function slotValues(object: XmlElement, name: string): string[] {
  const slot = childrenNamed(object, 'Slot', RIM).find((candidate) => attribute(candidate, 'name') === name);
  const list = childNamed(slot, 'ValueList', RIM);
  return list ? childrenNamed(list, 'Value', RIM).map((value) => value.text.trim()) : [];
}

/** Classifications nested in the entry, or standing apart and pointing at it by id. */
function classificationElements(registry: XmlElement, object: XmlElement, scheme: string): XmlElement[] {
  const id = attribute(object, 'id');
  const nested = childrenNamed(object, 'Classification', RIM);
  const apart = id ? childrenNamed(registry, 'Classification', RIM).filter((c) => attribute(c, 'classifiedObject') === id) : [];
  return [...nested, ...apart].filter((c) => attribute(c, 'classificationScheme') === scheme && attribute(c, 'nodeRepresentation')?.trim());
}

function classifications(registry: XmlElement, object: XmlElement, scheme: string): string[] {
  return classificationElements(registry, object, scheme).map((c) => attribute(c, 'nodeRepresentation')!.trim());
}

function externalIdentifier(object: XmlElement, scheme: string): string | undefined {
  return childrenNamed(object, 'ExternalIdentifier', RIM)
    .find((identifier) => attribute(identifier, 'identificationScheme') === scheme)
    ?.attributes.get('value')
    ?.trim();
}

/** The parts of an HL7 v2 CX identifier: ID^^^&assigning-authority-OID&ISO. */
export function parseCx(cx: string): { id: string; oid?: string } {
  const [id = '', , , authority = ''] = cx.split('^');
  const oid = authority.split('&')[1]?.trim();
  return oid ? { id: id.trim(), oid } : { id: id.trim() };
}

/**
 * The URI slot's value. ebRIM values are short, so XDS lets a long URI be split over several
 * values, each prefixed with its rank and a bar ("1|…", "2|…"); a single value is the URI itself.
 */
function uriOf(values: readonly string[]): string | undefined {
  if (values.length <= 1) return values[0];
  const ranked = values.map((value) => /^(\d+)\|(.*)$/s.exec(value));
  if (ranked.some((match) => match === null)) return values[0];
  return ranked
    .map((match) => ({ rank: Number(match![1]), text: match![2]! }))
    .sort((a, b) => a.rank - b.rank)
    .map((part) => part.text)
    .join('');
}

/**
 * The entry a document URI names. ITI-32 puts a submission set's documents in its subset folder
 * and the URI names the file there: most writers give it relative to that folder ("DOC0001.XML"),
 * others from IHE_XDM/ ("SUBSET01/DOC0001.XML") or from the root of the media
 * ("IHE_XDM/SUBSET01/DOC0001.XML"). All three are read; what they name must lie in the subset
 * folder of the METADATA.XML that lists it. A URI is percent-decoded first (it is a URI).
 */
function resolveUri(subset: string, raw: string, metadataEntry: string, files: ReadonlyMap<string, ZipFileEntry>, label: string): ZipFileEntry {
  const unusable = (): DocumentProblem =>
    invalid('XDM_METADATA_CONTENT', `the document URI ${quote(raw)} does not name a file of its subset folder`, metadataEntry);
  let uri: string;
  try {
    uri = decodeURIComponent(raw.trim());
  } catch {
    throw unusable();
  }
  const segments = uri.split('/');
  if (/[\\\u0000-\u001f]/.test(uri) || uri.startsWith('/') || /^[A-Za-z][A-Za-z0-9+.-]*:/.test(uri) || segments.some((s) => s === '..' || s === '' || s === '.')) {
    throw unusable();
  }
  const folder = `ihe_xdm/${subset.toLowerCase()}/`;
  const candidates = [`IHE_XDM/${subset}/${uri}`, `IHE_XDM/${uri}`, uri];
  const inFolder = candidates.filter((candidate) => candidate.toLowerCase().startsWith(folder));
  const found = inFolder.map((candidate) => files.get(candidate.toLowerCase())).find((file) => file !== undefined);
  if (found) return found;
  if (candidates.some((candidate) => !candidate.toLowerCase().startsWith(folder) && files.has(candidate.toLowerCase()))) {
    throw invalid('XDM_METADATA_CONTENT', `the document URI ${quote(raw)} names a file outside the subset folder of its METADATA.XML`, metadataEntry);
  }
  // Said as the form the URI seems to use, so the sender sees which file was looked for.
  const lower = uri.toLowerCase();
  const meant = lower.startsWith('ihe_xdm/') ? uri : lower.startsWith(`${subset.toLowerCase()}/`) ? `IHE_XDM/${uri}` : candidates[0]!;
  throw invalid('XDM_DOCUMENT_MISSING', `document entry ${label} (URI ${quote(raw)}) points to ${quote(meant)}, which is not in the archive`, metadataEntry);
}

interface Layout {
  readme: ZipFileEntry;
  index: ZipFileEntry;
  metadata: { subset: string; file: ZipFileEntry }[];
}

/**
 * The layout files, each checked for what it must be. README.TXT is plain text. INDEX.HTM is a
 * web page by the standard (it lets a browser open the media), so HTML is expected there: it is
 * accepted as such because it is never shown to the citizen as a page — the webmail offers the
 * zip as one download, and the record files the CDA and its PDF, never INDEX.HTM.
 */
function findLayout(files: ReadonlyMap<string, ZipFileEntry>): Layout {
  const readme = files.get('readme.txt');
  if (!readme) throw invalid('XDM_README', 'the XDM archive has no README.TXT at its root');
  const readmeFormat = entryFormat(readme.content);
  if (readmeFormat !== 'txt') {
    throw invalid('XDM_README', `README.TXT must be plain text, but it is ${ENTRY_FORMAT_NAMES[readmeFormat]}`, readme.name);
  }
  const index = files.get('index.htm');
  if (!index) throw invalid('XDM_INDEX', 'the XDM archive has no INDEX.HTM at its root');
  const indexFormat = entryFormat(index.content);
  if (indexFormat !== 'html' && indexFormat !== 'xml' && indexFormat !== 'txt') {
    throw invalid('XDM_INDEX', `INDEX.HTM must be a web page (HTML or XHTML), but it is ${ENTRY_FORMAT_NAMES[indexFormat]}`, index.name);
  }
  const metadata = [...files.values()]
    .map((file) => ({ file, match: METADATA_PATH.exec(file.name) }))
    .filter((found) => found.match !== null)
    .map(({ file, match }) => ({ subset: match![1]!, file }))
    .sort((a, b) => (a.file.name < b.file.name ? -1 : a.file.name > b.file.name ? 1 : 0));
  if (metadata.length === 0) throw invalid('XDM_METADATA', 'the XDM archive has no IHE_XDM/SUBSETnn/METADATA.XML');
  return { readme, index, metadata };
}

function sha1(content: Buffer): string {
  return createHash('sha1').update(content).digest('hex');
}

type XmlBounds = Pick<DocumentLimits, 'maxXmlBytes' | 'maxXmlDepth'>;

function parseEntry(file: ZipFileEntry, limits: XmlBounds): XmlElement {
  try {
    return parseXml(file.content, limits);
  } catch (error) {
    throw error instanceof DocumentProblem ? error.inEntry(file.name) : error;
  }
}

/** What the listed file is, by content; the declared MIME type must agree with it. */
function formatOf(file: ZipFileEntry, mimeType: string | undefined, limits: XmlBounds): EntryFormat {
  const format = entryFormat(file.content);
  if (!agreesWithMimeType(mimeType, format)) {
    throw invalid('XDM_MIME_TYPE', `METADATA.XML declares the MIME type ${quote(mimeType ?? '')} but the file is ${ENTRY_FORMAT_NAMES[format]}`, file.name);
  }
  // A signature is only recognised (the set's integrity is the hashes'), but it is XML all the
  // same: it is read as safely as any other.
  if (format === 'signature') parseEntry(file, limits);
  return format;
}

function readDocumentEntry(
  registry: XmlElement,
  object: XmlElement,
  subset: string,
  metadataEntry: string,
  files: ReadonlyMap<string, ZipFileEntry>,
  limits: XmlBounds,
): XdmDocument {
  const label = quote(attribute(object, 'id') ?? '(no id)');
  const uri = uriOf(slotValues(object, 'URI'));
  if (!uri) throw invalid('XDM_METADATA_CONTENT', `document entry ${label} has no URI`, metadataEntry);
  const file = resolveUri(subset, uri, metadataEntry, files, label);

  const [size] = slotValues(object, 'size');
  if (!size || !/^\d{1,15}$/.test(size)) throw invalid('XDM_METADATA_CONTENT', `document entry ${label} has no valid size`, metadataEntry);
  if (Number(size) !== file.content.length) {
    throw invalid('XDM_SIZE', `METADATA.XML gives a size of ${size} bytes but the file has ${file.content.length}`, file.name);
  }
  const [hash] = slotValues(object, 'hash');
  if (!hash || !/^[0-9A-Fa-f]{40}$/.test(hash)) throw invalid('XDM_METADATA_CONTENT', `document entry ${label} has no valid SHA-1 hash`, metadataEntry);
  if (hash.toLowerCase() !== sha1(file.content)) {
    throw invalid('XDM_HASH', 'the SHA-1 hash of the file does not match the one METADATA.XML gives', file.name);
  }

  const patientId = externalIdentifier(object, PATIENT_ID_SCHEME) ?? slotValues(object, 'sourcePatientId')[0];
  if (!patientId) throw invalid('XDM_METADATA_CONTENT', `document entry ${label} has no patientId`, metadataEntry);
  const [typeClassification] = classificationElements(registry, object, TYPE_CODE_SCHEME);
  const typeCode = typeClassification && attribute(typeClassification, 'nodeRepresentation')!.trim();
  const [typeCodeScheme] = typeClassification ? slotValues(typeClassification, 'codingScheme') : [];
  const confidentiality = classifications(registry, object, CONFIDENTIALITY_SCHEME);
  const mimeType = attribute(object, 'mimeType')?.trim() || undefined;
  const format = formatOf(file, mimeType, limits);
  return {
    entry: file.name,
    content: file.content,
    patientId,
    confidentiality,
    format,
    ...(typeCode ? { typeCode } : {}),
    ...(typeCodeScheme ? { typeCodeScheme } : {}),
    ...(mimeType ? { mimeType } : {}),
  };
}

function readMetadata(subset: string, metadataFile: ZipFileEntry, files: ReadonlyMap<string, ZipFileEntry>, limits: XmlBounds): XdmDocument[] {
  const root = parseEntry(metadataFile, limits);
  if (root.name !== 'SubmitObjectsRequest') {
    throw invalid('XDM_METADATA_CONTENT', `METADATA.XML must be an ebRIM 3.0 SubmitObjectsRequest, not ${quote(root.name)}`, metadataFile.name);
  }
  const registry = [...descendants(root)].find((element) => element.name === 'RegistryObjectList' && element.ns === RIM);
  if (!registry) throw invalid('XDM_METADATA_CONTENT', 'METADATA.XML has no ebRIM 3.0 RegistryObjectList', metadataFile.name);
  return childrenNamed(registry, 'ExtrinsicObject', RIM)
    .filter((object) => attribute(object, 'objectType') === DOCUMENT_ENTRY_TYPE)
    .map((object) => readDocumentEntry(registry, object, subset, metadataFile.name, files, limits));
}

/**
 * The documents of an XDM archive, each checked against its metadata entry (size, SHA-1, MIME
 * type), and the other entries with their format.
 */
export function readXdm(files: readonly ZipFileEntry[], limits: XmlBounds): XdmContent {
  // readZip refused case-insensitive duplicates, so lower-case names are unique keys.
  const byName = new Map(files.map((file) => [file.name.toLowerCase(), file] as const));
  const layout = findLayout(byName);
  const documents = layout.metadata.flatMap(({ subset, file }) => readMetadata(subset, file, byName, limits));
  if (documents.length === 0) throw invalid('XDM_NO_DOCUMENT', 'METADATA.XML lists no document (XDSDocumentEntry)');

  const accounted = new Set([layout.readme, layout.index, ...layout.metadata.map((m) => m.file), ...documents.map((d) => byName.get(d.entry.toLowerCase()))]);
  const extras: XdmExtra[] = [];
  for (const file of files) {
    if (accounted.has(file)) continue;
    const format = entryFormat(file.content);
    if (format === 'cda') {
      throw invalid('XDM_UNLISTED_DOCUMENT', 'the archive holds a CDA document that no METADATA.XML lists: every document must be described by the metadata', file.name);
    }
    extras.push({ entry: file.name, format });
  }
  return { documents, extras };
}

/** Metadata and CDA must tell the same story: same patient, same type of document. */
export function checkMetadataAgainstCda(document: XdmDocument, cda: { ins: string; insOid: string; typeCode: string; typeCodeSystem: string }): void {
  const { id, oid } = parseCx(document.patientId);
  if (id.toUpperCase() !== cda.ins || (oid !== undefined && oid !== cda.insOid)) {
    throw invalid('XDM_PATIENT', "the patientId in METADATA.XML is not the INS of the document's patient", document.entry);
  }
  if (document.typeCode !== undefined && document.typeCode !== cda.typeCode) {
    throw invalid('XDM_TYPE_CODE', `METADATA.XML gives the type code ${quote(document.typeCode)} but the CDA says ${quote(cda.typeCode)}`, document.entry);
  }
  // Older metadata names the scheme ("LOINC") rather than giving its OID: only an OID is compared.
  const scheme = document.typeCodeScheme;
  if (scheme !== undefined && /^\d+(\.\d+)+$/.test(scheme) && scheme !== cda.typeCodeSystem) {
    throw invalid(
      'XDM_TYPE_CODE',
      `METADATA.XML gives the type code ${quote(document.typeCode ?? cda.typeCode)} in the code system ${quote(scheme)} but the CDA uses ${quote(cda.typeCodeSystem)}`,
      document.entry,
    );
  }
}
