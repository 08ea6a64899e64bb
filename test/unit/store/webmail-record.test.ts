/**
 * What the webmail's record, history, contacts and pharmacy picker ask of the SQLite store:
 * a citizen's filing committed with its activity line or not at all, the versions of a set,
 * the history paged by id, the reply-only ledger read for one citizen, the directory searched
 * by town without accents, and migration 9 on what was stored before it.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, MIGRATIONS } from '../../../src/store/sqlite/migrations.js';
import { StoreConflict, type Delivery, type Filing, type Store } from '../../../src/store/types.js';
import { aDelivery, aFiling, storeSandbox } from '../../helpers/filing.js';

const CITIZEN = '184127645108946@patient.mssante.fr';
const OTHER = '269054958815780@patient.mssante.fr';
const DOCTOR = 'dr.house@hopital.mssante.fr';
const stores = storeSandbox('webmail-store-');
afterEach(stores.cleanup);
const tempDir = stores.tempDir;
const open = stores.open;

let serial = 0;
function filing(over: Partial<Filing> = {}): Filing {
  serial++;
  return aFiling(serial, { documentId: `doc^${serial}`, setId: `set^${serial}`, contentHash: `hash-${serial}`, ...over });
}

function delivery(over: Partial<Delivery>): Delivery {
  serial++;
  return aDelivery(serial, over);
}

const BY = { actor: CITIZEN, sourceMessageId: '<m@test>' };

describe('RecordStore.fileForCitizen', () => {
  it('files each document with its record.file line, as the citizen, and gives the rows back', async () => {
    const store = open();
    const own = filing({ documentId: 'citizen:sha256:abc', setId: 'citizen:sha256:abc', typeCode: 'DOCPAT03', source: 'citizen', contentType: 'application/pdf', sender: CITIZEN, organisation: CITIZEN });
    const [done] = await store.record.fileForCitizen([own], BY);
    expect(done).toMatchObject({ documentId: 'citizen:sha256:abc', outcome: 'filed', document: { source: 'citizen', contentType: 'application/pdf', typeCode: 'DOCPAT03', status: 'current' } });
    expect(await store.record.byId(CITIZEN, done!.document!.id)).toEqual(done!.document);
    const lines = await store.audit.forMailbox(CITIZEN);
    expect(lines).toMatchObject([{ actor: CITIZEN, action: 'record.file', target: 'citizen:sha256:abc', outcome: 'filed', detail: 'COMPTES_RENDUS v1 by the citizen (application/pdf)' }]);
  });

  it('leaves a document already filed as it is, its visibility codes included', async () => {
    const store = open();
    const first = filing({ confidentiality: ['N', 'MASQUE_PS'] });
    await store.record.fileForCitizen([first], BY);
    const [again] = await store.record.fileForCitizen([{ ...first, confidentiality: ['N'] }], BY);
    expect(again).toEqual({ documentId: first.documentId, outcome: 'already-filed' });
    const [filed] = await store.record.list(CITIZEN);
    expect(filed!.confidentiality).toEqual(['N', 'MASQUE_PS']);
    expect((await store.audit.forMailbox(CITIZEN)).filter((l) => l.action === 'record.file')).toHaveLength(1);
  });

  it('applies the version rules: a higher version replaces the current one', async () => {
    const store = open();
    const v1 = filing({ setId: 'set^V' });
    await store.record.fileForCitizen([v1], BY);
    const [v2] = await store.record.fileForCitizen([filing({ setId: 'set^V', version: 2 })], BY);
    expect(v2!.outcome).toBe('filed');
    const versions = await store.record.versions(CITIZEN, 'set^V');
    expect(versions.map((d) => [d.version, d.status, d.replacedBy])).toEqual([
      [2, 'current', null],
      [1, 'replaced', v2!.document!.id],
    ]);
  });

  it('commits all or nothing: a filing the rules refuse takes the others of its call with it', async () => {
    const store = open();
    const taken = filing({ setId: 'set^T' });
    await store.record.fileForCitizen([taken], BY);
    const fine = filing();
    // Same set and version as a filed document under another id: the filer refuses it.
    const clash = filing({ setId: 'set^T', version: 1 });
    await expect(store.record.fileForCitizen([fine, clash], BY)).rejects.toThrow(StoreConflict);
    expect(await store.record.has(CITIZEN, fine.documentId)).toBe(false);
    expect((await store.audit.forMailbox(CITIZEN)).filter((l) => l.action === 'record.file')).toHaveLength(1);
  });

  it('keeps each citizen’s versions to their own record', async () => {
    const store = open();
    await store.record.fileForCitizen([filing({ setId: 'set^S' })], BY);
    expect(await store.record.versions(OTHER, 'set^S')).toEqual([]);
  });
});

describe('AuditLog.forMailbox', () => {
  it('pages by id, newest first, and still takes a bare limit', async () => {
    const store = open();
    for (let i = 0; i < 7; i++) await store.audit.record({ actor: CITIZEN, action: 'login', mailbox: CITIZEN, outcome: `${i}` });
    await store.audit.record({ actor: OTHER, action: 'login', mailbox: OTHER, outcome: 'other' });
    const all = await store.audit.forMailbox(CITIZEN);
    expect(all.map((l) => l.outcome)).toEqual(['6', '5', '4', '3', '2', '1', '0']);
    const first = await store.audit.forMailbox(CITIZEN, { limit: 3 });
    expect(first.map((l) => l.outcome)).toEqual(['6', '5', '4']);
    const second = await store.audit.forMailbox(CITIZEN, { beforeId: first.at(-1)!.id, limit: 3 });
    expect(second.map((l) => l.outcome)).toEqual(['3', '2', '1']);
    expect((await store.audit.forMailbox(CITIZEN, { beforeId: second.at(-1)!.id })).map((l) => l.outcome)).toEqual(['0']);
    expect((await store.audit.forMailbox(CITIZEN, 2)).map((l) => l.outcome)).toEqual(['6', '5']);
  });
});

describe('ConversationStore.writersTo', () => {
  it('reads the ledger for one citizen, latest writer first', async () => {
    const store = open();
    const colleague = 'dr.wilson@hopital.mssante.fr';
    await store.messages.deliver(delivery({ contacts: [{ professional: DOCTOR, citizen: CITIZEN }] }));
    await new Promise((r) => setTimeout(r, 5));
    await store.messages.deliver(delivery({ contacts: [{ professional: colleague, citizen: CITIZEN }, { professional: DOCTOR, citizen: OTHER }] }));
    expect((await store.conversations.writersTo(CITIZEN)).map((w) => w.professional)).toEqual([colleague, DOCTOR]);
    expect((await store.conversations.writersTo(OTHER)).map((w) => w.professional)).toEqual([DOCTOR]);
    expect(await store.conversations.writersTo('220509912345679@patient.mssante.fr')).toEqual([]);
  });
});

describe('DirectoryStore: towns and folded search', () => {
  const pharmacy = (address: string, displayName: string | null, town?: string | null) => ({ address, kind: 'ORG' as const, pharmacy: true, displayName, rpps: null, local: false, town });

  it('finds by town, name or address without case, accents or hyphens; pharmacies only when asked', async () => {
    const store = open();
    await store.directory.upsert(pharmacy('a@ch-lyon.mssante.fr', 'Pharmacie du Centre', 'Saint-Étienne'));
    await store.directory.upsert(pharmacy('b@ch-lyon.mssante.fr', "Pharmacie de l'Église", 'Villeurbanne'));
    await store.directory.upsert({ address: 'dr@ch-lyon.mssante.fr', kind: 'PER', pharmacy: false, displayName: 'Dr Étienne', rpps: '10101010101', local: false });
    const addresses = async (text: string, pharmaciesOnly = true) => (await store.directory.search(text, { pharmaciesOnly })).map((e) => e.address);
    expect(await addresses('saint etienne')).toEqual(['a@ch-lyon.mssante.fr']);
    expect(await addresses('ÉGLISE')).toEqual(['b@ch-lyon.mssante.fr']);
    expect(await addresses('etienne', false)).toEqual(['dr@ch-lyon.mssante.fr', 'a@ch-lyon.mssante.fr']);
    expect(await addresses('b@ch-lyon')).toEqual(['b@ch-lyon.mssante.fr']);
    expect(await addresses('10101010101', false)).toEqual(['dr@ch-lyon.mssante.fr']);
    expect(await addresses('100%')).toEqual([]);
    expect(await store.directory.byAddress('a@ch-lyon.mssante.fr')).toMatchObject({ town: 'Saint-Étienne' });
    const some = await store.directory.byAddresses(['dr@ch-lyon.mssante.fr', 'nobody@ch-lyon.mssante.fr', 'b@ch-lyon.mssante.fr']);
    expect([...some.keys()].sort()).toEqual(['b@ch-lyon.mssante.fr', 'dr@ch-lyon.mssante.fr']);
    expect(some.get('dr@ch-lyon.mssante.fr')).toMatchObject({ displayName: 'Dr Étienne', pharmacy: false });
    expect((await store.directory.byAddresses([])).size).toBe(0);
  });

  it('lists by name as a person reads it, accents among their letters, nameless last', async () => {
    const store = open();
    await store.directory.upsert(pharmacy('z@x.fr', 'Zola'));
    await store.directory.upsert(pharmacy('e@x.fr', 'Éclair'));
    await store.directory.upsert(pharmacy('n@x.fr', null));
    await store.directory.upsert(pharmacy('d@x.fr', 'Dupont'));
    expect((await store.directory.search('', { pharmaciesOnly: true })).map((e) => e.displayName)).toEqual(['Dupont', 'Éclair', 'Zola', null]);
    expect(await store.directory.search('', { pharmaciesOnly: true, limit: 2 })).toHaveLength(2);
  });

  it('keeps a town and a name an upsert does not give, and finds the entry by them still', async () => {
    const store = open();
    await store.directory.upsert(pharmacy('a@x.fr', 'Pharmacie du Port', 'Sète'));
    await store.directory.upsert(pharmacy('a@x.fr', null));
    expect(await store.directory.byAddress('a@x.fr')).toMatchObject({ displayName: 'Pharmacie du Port', town: 'Sète' });
    expect((await store.directory.search('sete')).map((e) => e.address)).toEqual(['a@x.fr']);
    await store.directory.upsert(pharmacy('a@x.fr', null, 'Agde'));
    expect((await store.directory.search('sete')).map((e) => e.address)).toEqual([]);
    expect((await store.directory.search('agde')).map((e) => e.address)).toEqual(['a@x.fr']);
  });
});

describe('migration 9', () => {
  it('keeps documents and directory entries stored before: CDA documents of messages, entries found by name', async () => {
    const dir = tempDir();
    const db = new Database(path.join(dir, 'gateway.sqlite'));
    migrate(db, MIGRATIONS.filter((m) => m.version < 9));
    db.exec(`INSERT INTO blobs (id, size, created_at) VALUES ('old-cda', 100, 0);
      INSERT INTO record_documents (citizen, document_id, set_id, version, status, type_code, category, title, effective_time,
        sender, source_message_id, confidentiality, cda_blob_id, cda_size, filed_at)
      VALUES ('${CITIZEN}', 'doc^1', 'set^A', 1, 'current', '11490-0', 'COMPTES_RENDUS', 'CR', '20240115',
        '${DOCTOR}', '<old@test>', 'N', 'old-cda', 100, 0);
      INSERT INTO directory (address, kind, pharmacy, display_name, rpps, local, updated_at)
      VALUES ('officine@ch-lyon.mssante.fr', 'ORG', 1, 'Pharmacie de l''Hôtel de Ville', NULL, 0, 0)`);
    db.close();

    const store = open(dir);
    const [document] = await store.record.list(CITIZEN);
    expect(document).toMatchObject({ documentId: 'doc^1', source: 'message', contentType: 'text/xml', cdaBlobId: 'old-cda' });
    const entry = await store.directory.byAddress('officine@ch-lyon.mssante.fr');
    expect(entry).toMatchObject({ displayName: "Pharmacie de l'Hôtel de Ville", town: null });
    expect((await store.directory.search('hotel de ville', { pharmaciesOnly: true })).map((e) => e.address)).toEqual(['officine@ch-lyon.mssante.fr']);
  });

  it('refuses a source that is neither a message nor the citizen', () => {
    const db = new Database(':memory:');
    migrate(db);
    db.exec("INSERT INTO blobs (id, size, created_at) VALUES ('b', 1, 0)");
    const insert = (source: string) =>
      db
        .prepare(`INSERT INTO record_documents (citizen, document_id, set_id, version, status, type_code, category, title, effective_time,
          sender, source_message_id, cda_blob_id, cda_size, filed_at, source) VALUES ('c', ?, 's', 1, 'current', 't', 'AUTRES', 'x', '2024', 'c', '<m>', 'b', 1, 0, ?)`)
        .run(`d-${source}`, source);
    expect(() => insert('citizen')).not.toThrow();
    expect(() => insert('upload')).toThrow(/CHECK/);
    db.close();
  });
});
