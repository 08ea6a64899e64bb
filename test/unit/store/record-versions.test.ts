/**
 * The record's version rules in the SQLite store: applied again inside the delivery's commit
 * (two deliveries racing for one set cannot both win), and migration 7 on documents filed before.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, MIGRATIONS } from '../../../src/store/sqlite/migrations.js';
import { StoreConflict, type Delivery, type Filing, type Store } from '../../../src/store/types.js';
import { aDelivery, aFiling, storeSandbox } from '../../helpers/filing.js';

const CITIZEN = '184127645108946@patient.mssante.fr';
const DOCTOR = 'dr.house@hopital.mssante.fr';
const stores = storeSandbox('record-versions-');
afterEach(stores.cleanup);
const tempDir = stores.tempDir;
const open = stores.open;

let serial = 0;
function filing(over: Partial<Filing> = {}): Filing {
  serial++;
  return aFiling(serial, over);
}

function delivery(filings: Filing[]): Delivery {
  serial++;
  return aDelivery(serial, { filings, hasAttachments: true });
}

const rows = async (store: Store) =>
  (await store.record.list(CITIZEN)).map((d) => [d.documentId, d.version, d.status, d.confidentiality.join(' ')]).sort();

describe('filing inside the commit', () => {
  it('files versions of one delivery in order: the higher one current, the other kept as history', async () => {
    const store = open(tempDir());
    await store.messages.deliver(delivery([filing(), filing({ documentId: 'doc^2', version: 2, contentHash: 'hash-2' })]));
    expect(await rows(store)).toEqual([
      ['doc^1', 1, 'replaced', 'N'],
      ['doc^2', 2, 'current', 'N'],
    ]);
    const lines = await store.audit.forMailbox(CITIZEN);
    expect(lines.find((l) => l.action === 'record.replace')).toMatchObject({ target: 'doc^1', outcome: 'replaced', detail: 'v1 → v2 (doc^2) by hopital.mssante.fr' });
  });

  it('applies the rules again on what is committed: a replacement that lost the race fails alone', async () => {
    const store = open(tempDir());
    await store.messages.deliver(delivery([filing()]));
    // Both were decided against v1 alone; the first commits, the second now claims a taken version.
    const first = store.messages.deliver(delivery([filing({ documentId: 'doc^2a', version: 2, contentHash: 'a' })]));
    const second = store.messages.deliver(delivery([filing({ documentId: 'doc^2b', version: 2, contentHash: 'b' })]));
    await expect(first).resolves.toBeDefined();
    await expect(second).rejects.toBeInstanceOf(StoreConflict);
    await expect(second).rejects.toThrow(/RECORD_VERSION_TAKEN/);
    expect(await rows(store)).toEqual([
      ['doc^1', 1, 'replaced', 'N'],
      ['doc^2a', 2, 'current', 'N'],
    ]);
  });

  it('refuses in the commit a replacement by another organisation, and keeps the original current', async () => {
    const store = open(tempDir());
    await store.messages.deliver(delivery([filing()]));
    const foreign = filing({ documentId: 'doc^9', version: 9, contentHash: 'x', organisation: 'ch-lyon.mssante.fr', sender: 'dr.who@ch-lyon.mssante.fr' });
    await expect(store.messages.deliver(delivery([foreign]))).rejects.toThrow(/RECORD_NOT_OWNER/);
    expect(await rows(store)).toEqual([['doc^1', 1, 'current', 'N']]);
  });

  it("updates the visibility codes its author re-sends, and ignores anyone else's", async () => {
    const store = open(tempDir());
    await store.messages.deliver(delivery([filing()]));
    await store.messages.deliver(delivery([filing({ organisation: 'ch-lyon.mssante.fr', confidentiality: [] })]));
    expect(await rows(store)).toEqual([['doc^1', 1, 'current', 'N']]);
    await store.messages.deliver(delivery([filing({ confidentiality: ['N', 'MASQUE_PS'] })]));
    expect(await rows(store)).toEqual([['doc^1', 1, 'current', 'N MASQUE_PS']]);
    const lines = await store.audit.forMailbox(CITIZEN);
    expect(lines.filter((l) => l.action === 'record.file').map((l) => l.outcome)).toEqual(['visibility-updated', 'visibility-ignored', 'filed']);
    expect(lines.find((l) => l.action === 'record.visibility')).toMatchObject({ outcome: 'updated', detail: 'N → N MASQUE_PS' });
  });
});

describe('migration 7', () => {
  it('keeps documents filed before, their organisation read from the sender, hash and custodian unknown', async () => {
    const dir = tempDir();
    const db = new Database(path.join(dir, 'gateway.sqlite'));
    migrate(db, MIGRATIONS.filter((m) => m.version < 7));
    db.exec(`INSERT INTO blobs (id, size, created_at) VALUES ('old-cda', 100, 0);
      INSERT INTO record_documents (citizen, document_id, set_id, version, status, type_code, category, title, effective_time,
        sender, source_message_id, confidentiality, cda_blob_id, cda_size, filed_at)
      VALUES ('${CITIZEN}', 'doc^1', 'set^A', 1, 'current', '11490-0', 'COMPTES_RENDUS', 'CR', '20240115',
        'Dr.House@Hopital.MSSante.fr', '<old@test>', 'N', 'old-cda', 100, 0)`);
    db.close();

    const store = open(dir);
    const facts = await store.record.facts(CITIZEN, 'doc^1', 'set^A');
    expect(facts.sameId).toMatchObject({ organisation: 'hopital.mssante.fr', contentHash: null, custodian: null, cda: { blobId: 'old-cda', size: 100 } });
    // Its organisation may still replace it (whatever the custodian); another may not.
    await expect(store.messages.deliver(delivery([filing({ documentId: 'doc^x', version: 2, organisation: 'other.fr' })]))).rejects.toThrow(StoreConflict);
    await store.messages.deliver(delivery([filing({ documentId: 'doc^2', version: 2, custodian: 'nouveau nom' })]));
    expect(await rows(store)).toEqual([
      ['doc^1', 1, 'replaced', 'N'],
      ['doc^2', 2, 'current', 'N'],
    ]);
  });

  it('applies migrations by version, whatever the order of the list', () => {
    const db = new Database(':memory:');
    const shuffled = [...MIGRATIONS].reverse();
    expect(migrate(db, shuffled)).toBe(MIGRATIONS.length);
    const versions = db.prepare('SELECT version FROM schema_migrations ORDER BY applied_at, version').pluck().all();
    expect(versions).toEqual(MIGRATIONS.map((m) => m.version).sort((a, b) => a - b));
    db.close();
  });
});
