/**
 * Which documents of their record a citizen sees. The XDM metadata's confidentiality codes
 * (code system 1.2.250.1.213.1.1.4.13, kept with each document) say who a document is hidden
 * from:
 *
 * - `INVISIBLE_PATIENT`: hidden from the patient (a diagnosis to be announced in person). For the
 *   citizen it does not exist: never listed, read or downloaded, and an id of it is answered as
 *   an id that does not exist. Its versions do not show either: a version it replaces is, to
 *   the citizen, still the latest one they have.
 * - `INVISIBLE_REP_LEGAL`: hidden from the patient's legal representatives, not from the patient.
 * - `MASQUE_PS`: masked from professionals (other than its author), not from the patient.
 *
 * The webmail is the citizen's own door (a legal representative's or a professional's access
 * to the record is not served here), so only the first hides anything. Pure: the store and the
 * API bring the documents.
 */

export const INVISIBLE_PATIENT = 'INVISIBLE_PATIENT';
export const INVISIBLE_REP_LEGAL = 'INVISIBLE_REP_LEGAL';
export const MASQUE_PS = 'MASQUE_PS';

/** What these rules look at in a filed document. */
export interface VersionedDocument {
  id: number;
  status: 'current' | 'replaced';
  /** the document that replaced this one (a higher version of its set), or under which it was filed as history */
  replacedBy: number | null;
  confidentiality: readonly string[];
}

/** Whether these confidentiality codes hide a document from the citizen whose record it is. */
export function isInvisibleToCitizen(confidentiality: readonly string[]): boolean {
  return confidentiality.includes(INVISIBLE_PATIENT);
}

/** Whether the citizen whose record it is may see this document. */
export function visibleToCitizen(document: Pick<VersionedDocument, 'confidentiality'>): boolean {
  return !isInvisibleToCitizen(document.confidentiality);
}

/**
 * The documents as the citizen sees them, in the order given: the invisible ones left out, and
 * a document replaced by an invisible one shown as replaced by the next version the citizen can
 * see, or as current when there is none. `all` must hold every document the replacements point
 * to (the whole record, or the whole set).
 */
export function citizenView<T extends VersionedDocument>(all: readonly T[]): T[] {
  const byId = new Map(all.map((d) => [d.id, d] as const));
  return all.filter(visibleToCitizen).map((document) => {
    const first = document.replacedBy === null ? undefined : byId.get(document.replacedBy);
    // Replaced by a version the citizen sees, or by one this list does not hold: as it is.
    if (!first || visibleToCitizen(first)) return document;
    const seen = new Set<number>([document.id]);
    let next: T | undefined = first;
    while (next && !visibleToCitizen(next)) {
      seen.add(next.id);
      next = next.replacedBy === null || seen.has(next.replacedBy) ? undefined : byId.get(next.replacedBy);
    }
    return next ? { ...document, replacedBy: next.id } : { ...document, status: 'current', replacedBy: null };
  });
}
