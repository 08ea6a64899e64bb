/**
 * IHE XDM (ITI-32) as MSSanté uses it: README.TXT, INDEX.HTM and IHE_XDM/<subset>/METADATA.XML,
 * an ebRIM 3.0 SubmitObjectsRequest whose XDSDocumentEntry objects name the documents with their
 * size, SHA-1, patient, type code and confidentiality codes. The metadata is what the record and
 * the visibility rules trust, so it must agree with the files and with the CDA themselves.
 */
import { createHash } from 'node:crypto';
import type { DocumentLimits } from './limits.js';
import { DocumentProblem, invalid, quote } from './problem.js';
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
  confidentiality: string[];
}

function slotValues(object: XmlElement, name: string): string[] {
  const slot = childrenNamed(object, 'Slot', RIM).find((candidate) => attribute(candidate, 'name') === name);
  const list = childNamed(slot, 'ValueList', RIM);
  return list ? childrenNamed(list, 'Value', RIM).map((value) => value.text.trim()) : [];
}

/** Classifications nested in the entry, or standing apart and pointing at it by id. */
function classifications(registry: XmlElement, object: XmlElement, scheme: string): string[] {
  const id = attribute(object, 'id');
  const nested = childrenNamed(object, 'Classification', RIM);
  const apart = id ? childrenNamed(registry, 'Classification', RIM).filter((c) => attribute(c, 'classifiedObject') === id) : [];
  return [...nested, ...apart]
    .filter((c) => attribute(c, 'classificationScheme') === scheme)
    .map((c) => attribute(c, 'nodeRepresentation')?.trim() ?? '')
    .filter(Boolean);
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

/** "DOC0001.XML" relative to the subset folder; never anything outside it. */
function resolveUri(subset: string, uri: string, metadataEntry: string): string {
  const segments = uri.split('/');
  if (uri.includes('\\') || uri.startsWith('/') || /^[A-Za-z]:/.test(uri) || segments.some((s) => s === '..' || s === '' || s === '.')) {
    throw invalid('XDM_METADATA_CONTENT', `the document URI ${quote(uri)} does not name a file of its subset folder`, metadataEntry);
  }
  return `IHE_XDM/${subset}/${uri}`;
}

interface Layout {
  readme: ZipFileEntry;
  index: ZipFileEntry;
  metadata: { subset: string; file: ZipFileEntry }[];
}

function findLayout(files: ReadonlyMap<string, ZipFileEntry>): Layout {
  const readme = files.get('readme.txt');
  if (!readme) throw invalid('XDM_README', 'the XDM archive has no README.TXT at its root');
  const index = files.get('index.htm');
  if (!index) throw invalid('XDM_INDEX', 'the XDM archive has no INDEX.HTM at its root');
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

function readDocumentEntry(
  registry: XmlElement,
  object: XmlElement,
  subset: string,
  metadataEntry: string,
  files: ReadonlyMap<string, ZipFileEntry>,
): XdmDocument {
  const label = quote(attribute(object, 'id') ?? '(no id)');
  const [uri] = slotValues(object, 'URI');
  if (!uri) throw invalid('XDM_METADATA_CONTENT', `document entry ${label} has no URI`, metadataEntry);
  const location = resolveUri(subset, uri, metadataEntry);
  const file = files.get(location.toLowerCase());
  if (!file) throw invalid('XDM_DOCUMENT_MISSING', `document entry ${label} points to ${quote(location)}, which is not in the archive`, metadataEntry);

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
  const [typeCode] = classifications(registry, object, TYPE_CODE_SCHEME);
  const confidentiality = classifications(registry, object, CONFIDENTIALITY_SCHEME);
  return { entry: file.name, content: file.content, patientId, confidentiality, ...(typeCode ? { typeCode } : {}) };
}

function readMetadata(
  subset: string,
  metadataFile: ZipFileEntry,
  files: ReadonlyMap<string, ZipFileEntry>,
  limits: Pick<DocumentLimits, 'maxXmlBytes' | 'maxXmlDepth'>,
): XdmDocument[] {
  let root: XmlElement;
  try {
    root = parseXml(metadataFile.content, limits);
  } catch (error) {
    throw error instanceof DocumentProblem ? error.inEntry(metadataFile.name) : error;
  }
  if (root.name !== 'SubmitObjectsRequest') {
    throw invalid('XDM_METADATA_CONTENT', `METADATA.XML must be an ebRIM 3.0 SubmitObjectsRequest, not ${quote(root.name)}`, metadataFile.name);
  }
  const registry = [...descendants(root)].find((element) => element.name === 'RegistryObjectList' && element.ns === RIM);
  if (!registry) throw invalid('XDM_METADATA_CONTENT', 'METADATA.XML has no ebRIM 3.0 RegistryObjectList', metadataFile.name);
  return childrenNamed(registry, 'ExtrinsicObject', RIM)
    .filter((object) => attribute(object, 'objectType') === DOCUMENT_ENTRY_TYPE)
    .map((object) => readDocumentEntry(registry, object, subset, metadataFile.name, files));
}

/** The documents of an XDM archive, each checked against its metadata entry (size, SHA-1). */
export function readXdm(files: readonly ZipFileEntry[], limits: Pick<DocumentLimits, 'maxXmlBytes' | 'maxXmlDepth'>): XdmDocument[] {
  // readZip refused case-insensitive duplicates, so lower-case names are unique keys.
  const byName = new Map(files.map((file) => [file.name.toLowerCase(), file] as const));
  const layout = findLayout(byName);
  const documents = layout.metadata.flatMap(({ subset, file }) => readMetadata(subset, file, byName, limits));
  if (documents.length === 0) throw invalid('XDM_NO_DOCUMENT', 'METADATA.XML lists no document (XDSDocumentEntry)');
  return documents;
}

/** Metadata and CDA must tell the same story: same patient, same type of document. */
export function checkMetadataAgainstCda(document: XdmDocument, cda: { ins: string; insOid: string; typeCode: string }): void {
  const { id, oid } = parseCx(document.patientId);
  if (id.toUpperCase() !== cda.ins || (oid !== undefined && oid !== cda.insOid)) {
    throw invalid('XDM_PATIENT', "the patientId in METADATA.XML is not the INS of the document's patient", document.entry);
  }
  if (document.typeCode !== undefined && document.typeCode !== cda.typeCode) {
    throw invalid('XDM_TYPE_CODE', `METADATA.XML gives the type code ${quote(document.typeCode)} but the CDA says ${quote(cda.typeCode)}`, document.entry);
  }
}
