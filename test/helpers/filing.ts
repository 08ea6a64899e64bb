/** Documents to file and deliveries, as the pipeline would hand them to the store, for the store's tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { indexMessage } from '../../src/mime/indexer.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Delivery, Filing, Store } from '../../src/store/types.js';

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

/** A delivery carrying nothing but what a record test needs (`over` adds filings, targets…). */
export function aDelivery(serial: number, over: Partial<Delivery> = {}): Delivery {
  const later = new Date(Date.now() + 86_400_000);
  return {
    blob: { id: `msg-${serial}`, size: 10 },
    mime: indexMessage(Buffer.from('Subject: test\r\n\r\nbody\r\n')),
    envelopeSender: FILING_DOCTOR,
    messageId: `<m${serial}@test>`,
    subject: 'test',
    from: FILING_DOCTOR,
    date: null,
    hasAttachments: (over.filings?.length ?? 0) > 0,
    targets: [],
    relay: [],
    conversations: [],
    contacts: [],
    notify: [],
    audit: [],
    expiresAt: { professional: later, citizen: later },
    relayExpiresAt: later,
    ...over,
  };
}

/** SQLite stores in throw-away folders, closed and removed by `cleanup` (call it in afterEach). */
export function storeSandbox(prefix: string) {
  const cleanups: Array<() => Promise<void> | void> = [];
  const tempDir = (): string => {
    const dir = mkdtempSync(path.join(tmpdir(), prefix));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  };
  return {
    tempDir,
    open(dir: string = tempDir()): Store {
      const store = openSqliteStore(dir);
      cleanups.push(() => store.close());
      return store;
    },
    async cleanup(): Promise<void> {
      for (const c of cleanups.splice(0).reverse()) await c();
    },
  };
}
