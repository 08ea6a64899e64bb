/**
 * The CDA R2 header as the CI-SIS requires at least, and the body: what the record files and
 * what the patient rule needs (the INS) must be there and well-formed, or the document is refused.
 */
import { checkIns } from '../domain/ins.js';
import { LOINC_SYSTEM, typeCodeOf, typeCodesNamed } from '../domain/type-codes.js';
import { readNonXmlBody } from './nonxml-body.js';
import { invalid, quote } from './problem.js';
import type { CdaDocument, InstanceId } from './types.js';
import { attribute, childNamed, childrenNamed, path, peekRoot, type XmlElement } from './xml.js';

export const HL7_V3 = 'urn:hl7-org:v3';
const CDA_TYPE_ID_ROOT = '2.16.840.1.113883.1.3';
const CDA_TYPE_ID_EXTENSION = 'POCD_HD000040';
const MAX_TITLE = 128;

export const INS_NIR_OID = '1.2.250.1.213.1.4.8';
export const INS_NIA_OID = '1.2.250.1.213.1.4.9';
export const INS_TEST_OID = '1.2.250.1.213.1.4.10';
export const INS_DEMO_OID = '1.2.250.1.213.1.4.11';

/** What the CDA itself says; the XDM metadata and the attachment's name are added by the caller. */
export type CdaHeader = Omit<CdaDocument, 'attachment' | 'entry' | 'xdmConfidentiality' | 'xdmPatientId'>;

export interface CdaOptions {
  acceptTestInsOids?: boolean;
}

const OID = /^[0-2](\.(0|[1-9]\d*))+$/;
/** Real OIDs and UUIDs are far shorter; the cap keeps the patterns below cheap on hostile input. */
const MAX_ID_ROOT = 128;
const UUID = /^[0-9A-Fa-f]{8}-([0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}$/;

function instanceId(element: XmlElement | undefined, check: 'CDA_ID' | 'CDA_SET_ID', what: string): InstanceId {
  if (!element) throw invalid(check, `the CDA has no ${what}`);
  const root = attribute(element, 'root')?.trim();
  if (!root) throw invalid(check, `the CDA ${what} has no root`);
  if (root.length > MAX_ID_ROOT) throw invalid(check, `the CDA ${what} root is longer than ${MAX_ID_ROOT} characters`);
  if (!OID.test(root) && !UUID.test(root)) throw invalid(check, `the CDA ${what} root ${quote(root)} is neither an OID nor a UUID`);
  const extension = attribute(element, 'extension')?.trim();
  return extension ? { root, extension } : { root };
}

export function idKey(id: InstanceId): string {
  return id.extension === undefined ? id.root : `${id.root}^${id.extension}`;
}

/** A required non-empty attribute of a required child, e.g. languageCode/@code. */
function requiredValue(doc: XmlElement, child: string, name: string, check: Parameters<typeof invalid>[0]): string {
  const value = attribute(childNamed(doc, child), name)?.trim();
  if (!value) throw invalid(check, `the CDA has no ${child}/@${name}`);
  return value;
}

function checkTypeId(doc: XmlElement): void {
  const typeId = childNamed(doc, 'typeId');
  if (!typeId) throw invalid('CDA_TYPE_ID', 'the CDA has no typeId');
  const root = attribute(typeId, 'root');
  const extension = attribute(typeId, 'extension');
  if (root !== CDA_TYPE_ID_ROOT || extension !== CDA_TYPE_ID_EXTENSION) {
    throw invalid('CDA_TYPE_ID', `the CDA typeId must be ${CDA_TYPE_ID_ROOT} / ${CDA_TYPE_ID_EXTENSION} (CDA R2), not ${quote(root ?? '')} / ${quote(extension ?? '')}`);
  }
}

function checkTemplateIds(doc: XmlElement): void {
  if (!childrenNamed(doc, 'templateId').some((templateId) => attribute(templateId, 'root')?.trim())) {
    throw invalid('CDA_TEMPLATE_ID', 'the CDA has no templateId with a root');
  }
}

function readCode(doc: XmlElement): Pick<CdaHeader, 'typeCode' | 'typeCodeSystem' | 'typeDisplayName'> {
  const code = childNamed(doc, 'code');
  const typeCode = attribute(code, 'code')?.trim();
  if (!typeCode) throw invalid('CDA_CODE', 'the CDA has no document type code (code/@code)');
  const typeCodeSystem = attribute(code, 'codeSystem')?.trim() ?? '';
  // Exactly the (code, code system) pairs of the CI-SIS value set: SYNTH is the ANS's, 11502-2 LOINC's.
  if (!typeCodeOf(typeCode, typeCodeSystem)) {
    const known = typeCodesNamed(typeCode)[0];
    if (known) {
      const system = known.codeSystem === LOINC_SYSTEM ? `the LOINC code system ${LOINC_SYSTEM}` : `the code system ${known.codeSystem}`;
      throw invalid('CDA_CODE_SYSTEM', `the document type code ${quote(typeCode)} must use ${system}, not ${quote(typeCodeSystem)}`);
    }
    throw invalid('CDA_CODE', `the document type code ${quote(typeCode)} (code system ${quote(typeCodeSystem)}) is not in the CI-SIS type-code value set JDV_J07-XdsTypeCode-CISIS`);
  }
  const typeDisplayName = attribute(code, 'displayName')?.trim();
  return typeDisplayName ? { typeCode, typeCodeSystem, typeDisplayName } : { typeCode, typeCodeSystem };
}

function readTitle(doc: XmlElement): string {
  const title = childNamed(doc, 'title')?.text.replace(/\s+/g, ' ').trim();
  if (!title) throw invalid('CDA_TITLE', 'the CDA has no title, or an empty one');
  const length = [...title].length;
  if (length > MAX_TITLE) throw invalid('CDA_TITLE', `the CDA title has ${length} characters, more than the ${MAX_TITLE} allowed`);
  return title;
}

const HL7_TS = /^(\d{4})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:\.\d{1,4})?)?)?)?)?)?(?:([+-])(\d{2})(\d{2}))?$/;

/**
 * Reads an HL7 TS (YYYY[MM[DD[HH[MM[SS[.S]]]]]][±ZZZZ]); the Date only when the day is known.
 * Without a zone the time is read as UTC, so the result never depends on the server's zone.
 */
export function parseHl7Time(value: string): { valid: boolean; date?: Date } {
  const match = value.length <= 32 ? HL7_TS.exec(value) : null;
  if (!match) return { valid: false };
  const [, y, mo, d, h, mi, s, sign, zh, zm] = match;
  const n = (text: string | undefined, fallback: number): number => (text === undefined ? fallback : Number(text));
  const parts = { year: n(y, 0), month: n(mo, 1), day: n(d, 1), hour: n(h, 0), minute: n(mi, 0), second: n(s, 0) };
  if (parts.month < 1 || parts.month > 12 || parts.day < 1 || parts.hour > 23 || parts.minute > 59 || parts.second > 59) {
    return { valid: false };
  }
  const utc = new Date(Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second));
  // Date.UTC rolls 31 February over to March: a rolled date was not a real date.
  if (utc.getUTCDate() !== parts.day || utc.getUTCMonth() !== parts.month - 1) return { valid: false };
  if (d === undefined) return { valid: true };
  const offsetMinutes = sign ? (sign === '-' ? -1 : 1) * (Number(zh) * 60 + Number(zm)) : 0;
  return { valid: true, date: new Date(utc.getTime() - offsetMinutes * 60_000) };
}

function readEffectiveTime(doc: XmlElement): Pick<CdaHeader, 'effectiveTime' | 'effectiveDate'> {
  const effectiveTime = attribute(childNamed(doc, 'effectiveTime'), 'value')?.trim();
  if (!effectiveTime) throw invalid('CDA_EFFECTIVE_TIME', 'the CDA has no effectiveTime/@value');
  const { valid, date } = parseHl7Time(effectiveTime);
  if (!valid) throw invalid('CDA_EFFECTIVE_TIME', `the CDA effectiveTime ${quote(effectiveTime)} is not a valid HL7 date and time`);
  return date ? { effectiveTime, effectiveDate: date } : { effectiveTime };
}

function readVersion(doc: XmlElement): number {
  const value = attribute(childNamed(doc, 'versionNumber'), 'value')?.trim();
  if (value === undefined) throw invalid('CDA_VERSION', 'the CDA has no versionNumber/@value');
  if (!/^[1-9]\d{0,8}$/.test(value)) throw invalid('CDA_VERSION', `the CDA versionNumber ${quote(value)} is not a positive integer`);
  return Number(value);
}

/** Given names then family name, or the name's text when it is not structured. */
function personName(name: XmlElement | undefined): string | undefined {
  if (!name) return undefined;
  const parts = [...childrenNamed(name, 'given'), ...childrenNamed(name, 'family')].map((part) => part.text.trim()).filter(Boolean);
  const text = (parts.length > 0 ? parts.join(' ') : name.text).replace(/\s+/g, ' ').trim();
  return text || undefined;
}

function readPatient(doc: XmlElement, options: CdaOptions): Pick<CdaHeader, 'ins' | 'insOid' | 'patientName'> {
  const patientRole = path(doc, 'recordTarget', 'patientRole');
  if (!patientRole) throw invalid('CDA_RECORD_TARGET', 'the CDA has no recordTarget/patientRole');
  const accepted = [INS_NIR_OID, INS_NIA_OID, ...(options.acceptTestInsOids ? [INS_TEST_OID, INS_DEMO_OID] : [])];
  const ids = childrenNamed(patientRole, 'id');
  const insIds = ids.filter((id) => accepted.includes(attribute(id, 'root')?.trim() ?? ''));
  const first = insIds[0];
  if (!first) {
    const roots = ids.map((id) => quote(attribute(id, 'root') ?? '')).join(', ') || 'none';
    const testNote = options.acceptTestInsOids ? `, ${INS_TEST_OID} test, ${INS_DEMO_OID} demo` : '; test and demo INS OIDs are not accepted here';
    throw invalid('CDA_INS_OID', `the CDA patient has no identifier with an INS OID (${INS_NIR_OID} INS-NIR, ${INS_NIA_OID} INS-NIA${testNote}); found ${roots}`);
  }
  const matricules = insIds.map((id) => attribute(id, 'extension')?.trim() ?? '');
  const checked = checkIns(matricules[0]!);
  if (!checked.ok) throw invalid('CDA_INS', `the CDA patient's INS is invalid: ${checked.message}`);
  if (matricules.some((matricule) => matricule.toUpperCase() !== checked.ins)) {
    throw invalid('CDA_INS', 'the CDA patient has several different INS');
  }
  const patientName = personName(path(patientRole, 'patient', 'name'));
  const insOid = attribute(first, 'root')!.trim();
  return patientName ? { ins: checked.ins, insOid, patientName } : { ins: checked.ins, insOid };
}

function readAuthor(doc: XmlElement): CdaHeader['author'] {
  const assignedAuthor = childrenNamed(doc, 'author').map((author) => childNamed(author, 'assignedAuthor')).find(Boolean);
  if (!assignedAuthor) throw invalid('CDA_AUTHOR', 'the CDA has no author/assignedAuthor');
  const name =
    personName(path(assignedAuthor, 'assignedPerson', 'name')) ??
    path(assignedAuthor, 'representedOrganization', 'name')?.text.trim() ??
    path(assignedAuthor, 'assignedAuthoringDevice', 'softwareName')?.text.trim();
  const id = childNamed(assignedAuthor, 'id');
  const identifier = attribute(id, 'extension')?.trim() || attribute(id, 'root')?.trim();
  return { ...(name ? { name } : {}), ...(identifier ? { id: identifier } : {}) };
}

function readCustodian(doc: XmlElement): string | undefined {
  const organization = path(doc, 'custodian', 'assignedCustodian', 'representedCustodianOrganization');
  if (!organization) throw invalid('CDA_CUSTODIAN', 'the CDA has no custodian/assignedCustodian/representedCustodianOrganization');
  // The organisation's identifier (root and extension: a FINESS or SIRET under its OID) names it;
  // the name, which an organisation may reword, only when it has no identifier.
  const id = childNamed(organization, 'id');
  const root = attribute(id, 'root')?.trim();
  const extension = attribute(id, 'extension')?.trim();
  if (root || extension) return extension ? `${root ?? ''}^${extension}` : root;
  return childNamed(organization, 'name')?.text.replace(/\s+/g, ' ').trim() || undefined;
}

function readBody(doc: XmlElement): Pick<CdaHeader, 'body' | 'pdf'> {
  const component = childNamed(doc, 'component');
  if (childNamed(component, 'structuredBody')) return { body: 'N3' };
  const nonXmlBody = childNamed(component, 'nonXMLBody');
  if (!nonXmlBody) throw invalid('CDA_BODY', 'the CDA has neither component/structuredBody nor component/nonXMLBody');
  return readNonXmlBody(nonXmlBody);
}

/**
 * Whether a file claims to be a CDA: its root element is ClinicalDocument (in any namespace, so a
 * wrong one is refused, not waved through), whatever its name, content type or encoding. Such a
 * file is always checked, for every recipient.
 */
export function claimsToBeCda(content: Buffer): boolean {
  return peekRoot(content)?.name === 'ClinicalDocument';
}

/** Checks a parsed ClinicalDocument and reads what the record needs. Throws a DocumentProblem. */
export function readCda(doc: XmlElement, xml: Buffer, options: CdaOptions = {}): CdaHeader {
  if (doc.name !== 'ClinicalDocument' || doc.ns !== HL7_V3) {
    throw invalid('CDA_ROOT', `the root element must be ClinicalDocument in the ${HL7_V3} namespace, not ${quote(doc.name)} in ${quote(doc.ns)}`);
  }
  checkTypeId(doc);
  checkTemplateIds(doc);
  const id = instanceId(childNamed(doc, 'id'), 'CDA_ID', 'id');
  const code = readCode(doc);
  const title = readTitle(doc);
  const time = readEffectiveTime(doc);
  const confidentialityCode = requiredValue(doc, 'confidentialityCode', 'code', 'CDA_CONFIDENTIALITY');
  const languageCode = requiredValue(doc, 'languageCode', 'code', 'CDA_LANGUAGE');
  const setId = instanceId(childNamed(doc, 'setId'), 'CDA_SET_ID', 'setId');
  const version = readVersion(doc);
  const patient = readPatient(doc, options);
  const author = readAuthor(doc);
  const custodian = readCustodian(doc);
  const body = readBody(doc);
  return {
    id,
    idKey: idKey(id),
    setId,
    setIdKey: idKey(setId),
    version,
    ...code,
    title,
    ...time,
    ...patient,
    author,
    ...(custodian ? { custodian } : {}),
    confidentialityCode,
    languageCode,
    ...body,
    xml,
  };
}
