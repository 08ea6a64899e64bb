/**
 * The health record's version rules ("annule et remplace"), as the DMP applies them: a document
 * id is filed once; a re-sending of it by the organisation that filed it may change its
 * visibility codes (an update of the document's metadata by its author); a higher versionNumber
 * of the same setId replaces the current version, which stays as history, and only the
 * organisation that filed the set may write into it. What the DMP would refuse is refused here,
 * before the message is accepted, so the sender learns it at once and nothing is hidden.
 * Pure: the pipeline and the store bring the facts.
 */
import { refusal, type Refusal } from './refusals.js';

/** A document arriving for a citizen's record, as these rules see it. */
export interface IncomingDocument {
  documentId: string;
  setId: string;
  version: number;
  /** SHA-256 of the CDA bytes */
  contentHash: string;
  /** the CDA custodian, normalised (see organisationKey); '' when the CDA names none */
  custodian: string;
  /** the sending organisation: the sender's domain, lower case */
  organisation: string;
  confidentiality: readonly string[];
  /** false for a bare CDA: without XDM metadata it says nothing about visibility */
  visibilityStated: boolean;
}

/** A document already in the record. */
export interface FiledDocument {
  /** the store's row, to name what a decision acts on */
  rowId: number;
  documentId: string;
  setId: string;
  version: number;
  status: 'current' | 'replaced';
  /** null for documents filed before hashes were kept: not compared */
  contentHash: string | null;
  /** null for documents filed before custodians were kept: not compared */
  custodian: string | null;
  organisation: string;
  confidentiality: readonly string[];
}

/** What the rules need to know of the record; a store may carry more on each document (T). */
export interface FilingFacts<T extends FiledDocument = FiledDocument> {
  /** the filed document with the incoming document's id, if any */
  sameId?: T;
  /** every filed version of the incoming document's setId, in any status */
  set: readonly T[];
}

export type VersionCheck = 'RECORD_ID_REUSED' | 'RECORD_VERSION_TAKEN' | 'RECORD_NOT_OWNER';

export type FilingDecision<T extends FiledDocument = FiledDocument> =
  /** a new document: the first of its set, or a higher version that replaces the current one */
  | { kind: 'file-current'; replaces?: T }
  /** a lower version arriving after a higher one: kept as history, never current */
  | { kind: 'file-history'; under: T }
  /** already filed and nothing to change */
  | { kind: 'duplicate'; filed: T }
  /** already filed; its author states other visibility codes */
  | { kind: 'update-visibility'; filed: T; from: readonly string[]; to: readonly string[] }
  /** already filed; another organisation states other codes, which are not its to change */
  | { kind: 'visibility-ignored'; filed: T }
  | { kind: 'refuse'; check: VersionCheck; refusal: Refusal };

const TEXTS: Record<VersionCheck, [fr: string, en: string]> = {
  RECORD_ID_REUSED: [
    'Document refusé : cet identifiant de document est déjà classé dans le dossier avec un autre contenu',
    'document refused: this document id is already filed in the record with other content',
  ],
  RECORD_VERSION_TAKEN: [
    'Document refusé : cette version du document est déjà classée dans le dossier sous un autre identifiant',
    'document refused: this version of the document is already filed in the record under another id',
  ],
  RECORD_NOT_OWNER: [
    "Document refusé : seul l'organisme qui a classé ce document dans le dossier peut le remplacer",
    'document refused: only the organisation that filed this document in the record may replace it',
  ],
};

/** The refusal of a version rule: a document refusal (554 5.6.0) in the rule's own words. */
export function versionRefusal(check: VersionCheck, detail: string): Refusal {
  const [fr, en] = TEXTS[check];
  return { ...refusal('INVALID_DOCUMENT', `${detail} [${check}]`), fr, en };
}

/** Custodians compare without case or spacing differences: the same organisation writes its name variously. */
export function organisationKey(text: string | undefined | null): string {
  return (text ?? '').normalize('NFC').replace(/\s+/g, ' ').trim().toLowerCase();
}

/** Both the sending organisation and the CDA custodian must be the ones that filed the document. */
export function sameAuthor(filed: FiledDocument, doc: IncomingDocument): boolean {
  return filed.organisation === doc.organisation && (filed.custodian === null || filed.custodian === doc.custodian);
}

function sameCodes(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((code) => right.has(code));
}

function describe(filed: FiledDocument): string {
  return `version ${filed.version} of set ${filed.setId} (document ${filed.documentId}, filed by ${filed.organisation || 'an unknown sender'})`;
}

export function decideFiling<T extends FiledDocument>(doc: IncomingDocument, facts: FilingFacts<T>): FilingDecision<T> {
  const same = facts.sameId;
  if (same) {
    // IHE XDS refuses a known uniqueId with another hash (XDSNonIdenticalHash): an id names one content.
    if (same.contentHash !== null && same.contentHash !== doc.contentHash) {
      return {
        kind: 'refuse',
        check: 'RECORD_ID_REUSED',
        refusal: versionRefusal('RECORD_ID_REUSED', `document ${doc.documentId} is already filed as ${describe(same)} and its content differs`),
      };
    }
    if (!doc.visibilityStated || sameCodes(same.confidentiality, doc.confidentiality)) return { kind: 'duplicate', filed: same };
    // A forward by someone else is welcome as mail, but the codes are the author's to set.
    if (!sameAuthor(same, doc)) return { kind: 'visibility-ignored', filed: same };
    return { kind: 'update-visibility', filed: same, from: same.confidentiality, to: [...doc.confidentiality] };
  }

  if (facts.set.length === 0) return { kind: 'file-current' };
  const current = facts.set.find((d) => d.status === 'current');
  const owner = current ?? [...facts.set].sort((a, b) => b.version - a.version)[0]!;
  if (!sameAuthor(owner, doc)) {
    return {
      kind: 'refuse',
      check: 'RECORD_NOT_OWNER',
      refusal: versionRefusal(
        'RECORD_NOT_OWNER',
        `version ${doc.version} of set ${doc.setId} sent by ${doc.organisation || 'an unknown sender'}` +
          `${doc.custodian ? ` (custodian "${doc.custodian}")` : ''} would write into ${describe(owner)}`,
      ),
    };
  }
  const taken = facts.set.find((d) => d.version === doc.version);
  if (taken) {
    // Same setId and versionNumber with another id is not a replacement: one of the two is wrong.
    return {
      kind: 'refuse',
      check: 'RECORD_VERSION_TAKEN',
      refusal: versionRefusal('RECORD_VERSION_TAKEN', `document ${doc.documentId} claims ${describe(taken)}; a new version needs a higher versionNumber`),
    };
  }
  if (!current || doc.version > current.version) return current ? { kind: 'file-current', replaces: current } : { kind: 'file-current' };
  return { kind: 'file-history', under: current };
}

/**
 * What a decision changes in the facts: the documents it adds or alters, as they are after it.
 * The documents of one message are decided in order, each seeing those before it, as the store
 * files them in that order.
 */
export function applyDecision<T extends FiledDocument>(facts: FilingFacts<T>, incoming: T, decision: FilingDecision<T>): T[] {
  switch (decision.kind) {
    case 'file-current':
      return [
        ...facts.set.filter((d) => d.status === 'current').map((d) => ({ ...d, status: 'replaced' as const })),
        { ...incoming, status: 'current' },
      ];
    case 'file-history':
      return [{ ...incoming, status: 'replaced' }];
    case 'update-visibility':
      return [{ ...decision.filed, confidentiality: decision.to }];
    default:
      return [];
  }
}
