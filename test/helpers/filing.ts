/** A document to file, as the pipeline would hand it to the record store, for the store's tests. */
import type { Filing } from '../../src/store/types.js';

export const FILING_CITIZEN = '184127645108946@patient.mssante.fr';
export const FILING_DOCTOR = 'dr.house@hopital.mssante.fr';

/** A compte rendu for FILING_CITIZEN from FILING_DOCTOR; `serial` makes its file ids its own. */
export function aFiling(serial: number, over: Partial<Filing> = {}): Filing {
  return {
    citizen: FILING_CITIZEN,
    documentId: 'doc^1',
    setId: 'set^A',
    version: 1,
    typeCode: '11490-0',
    category: 'COMPTES_RENDUS',
    title: 'Compte rendu',
    authorName: 'Dr House',
    authorId: '810002345678',
    effectiveAt: null,
    effectiveTime: '20240115',
    sender: FILING_DOCTOR,
    confidentiality: ['N'],
    cda: { blobId: `cda-${serial}`, size: 100 },
    pdf: null,
    contentHash: 'hash-1',
    custodian: 'centre hospitalier',
    organisation: 'hopital.mssante.fr',
    visibilityStated: true,
    ...over,
  };
}
