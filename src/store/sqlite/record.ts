/** The citizen's health record: filing under the version rules, and listing. */
import { decideFiling, type FilingFacts } from '../../domain/versions.js';
import { StoreConflict, type CitizenFiled, type FiledVersion, type Filing, type RecordDocument, type RecordSource, type RecordStore } from '../types.js';
import { now, type Db } from './database.js';
import { auditWriter } from './audit.js';

interface RecordRow {
  id: number;
  citizen: string;
  document_id: string;
  set_id: string;
  version: number;
  status: 'current' | 'replaced';
  replaced_by: number | null;
  type_code: string;
  category: string;
  title: string;
  author_name: string | null;
  author_id: string | null;
  effective_at: number | null;
  effective_time: string;
  sender: string;
  source_message_id: string;
  confidentiality: string;
  cda_blob_id: string;
  cda_size: number;
  pdf_blob_id: string | null;
  pdf_size: number | null;
  filed_at: number;
  content_hash: string | null;
  custodian: string | null;
  organisation: string;
  source: RecordSource;
  content_type: string;
}

const codes = (text: string): string[] => (text ? text.split(' ') : []);

function toDocument(r: RecordRow): RecordDocument {
  return {
    id: r.id,
    citizen: r.citizen,
    documentId: r.document_id,
    setId: r.set_id,
    version: r.version,
    status: r.status,
    replacedBy: r.replaced_by,
    typeCode: r.type_code,
    category: r.category,
    title: r.title,
    authorName: r.author_name,
    authorId: r.author_id,
    effectiveAt: r.effective_at === null ? null : new Date(r.effective_at),
    effectiveTime: r.effective_time,
    sender: r.sender,
    sourceMessageId: r.source_message_id,
    confidentiality: codes(r.confidentiality),
    cdaBlobId: r.cda_blob_id,
    cdaSize: r.cda_size,
    pdfBlobId: r.pdf_blob_id,
    pdfSize: r.pdf_size,
    filedAt: new Date(r.filed_at),
    contentHash: r.content_hash,
    custodian: r.custodian,
    organisation: r.organisation,
    source: r.source,
    contentType: r.content_type,
  };
}

function toFiled(r: RecordRow): FiledVersion {
  return {
    rowId: r.id,
    documentId: r.document_id,
    setId: r.set_id,
    version: r.version,
    status: r.status,
    contentHash: r.content_hash,
    custodian: r.custodian,
    organisation: r.organisation,
    confidentiality: codes(r.confidentiality),
    cda: { blobId: r.cda_blob_id, size: r.cda_size },
    pdf: r.pdf_blob_id === null ? null : { blobId: r.pdf_blob_id, size: r.pdf_size ?? 0 },
  };
}

/** Reads what the version rules need, inside or outside a transaction. */
function factsReader(db: Db): (citizen: string, documentId: string, setId: string) => FilingFacts<FiledVersion> {
  const byId = db.prepare('SELECT * FROM record_documents WHERE citizen = ? AND document_id = ?');
  const bySet = db.prepare('SELECT * FROM record_documents WHERE citizen = ? AND set_id = ? ORDER BY version, id');
  return (citizen, documentId, setId) => {
    const same = byId.get(citizen, documentId) as RecordRow | undefined;
    const set = (bySet.all(citizen, setId) as RecordRow[]).map(toFiled);
    return same ? { sameId: toFiled(same), set } : { set };
  };
}

export type FileOutcome = 'filed' | 'filed-as-replaced' | 'duplicate' | 'visibility-updated' | 'visibility-ignored';

/**
 * Files one document inside the caller's transaction. The pipeline decided before answering
 * the sender; the rules are applied again here on what is committed, so that two messages racing
 * for the same set cannot both win. One the rules now refuse throws StoreConflict: that delivery
 * alone is rolled back and answered with a temporary failure, and the retry gets the refusal.
 * Replacements and visibility changes write their own activity lines.
 */
export function recordFiler(db: Db) {
  const facts = factsReader(db);
  const insert = db.prepare(`INSERT INTO record_documents (citizen, document_id, set_id, version, status, replaced_by, type_code,
      category, title, author_name, author_id, effective_at, effective_time, sender, source_message_id, confidentiality,
      cda_blob_id, cda_size, pdf_blob_id, pdf_size, filed_at, content_hash, custodian, organisation, source, content_type)
    VALUES (@citizen, @documentId, @setId, @version, @status, @replacedBy, @typeCode, @category, @title, @authorName, @authorId,
      @effectiveAt, @effectiveTime, @sender, @sourceMessageId, @confidentiality, @cdaBlobId, @cdaSize, @pdfBlobId, @pdfSize, @at,
      @contentHash, @custodian, @organisation, @source, @contentType)`);
  const replace = db.prepare("UPDATE record_documents SET status = 'replaced', replaced_by = ? WHERE id = ?");
  const setCodes = db.prepare('UPDATE record_documents SET confidentiality = ? WHERE id = ?');
  const audit = auditWriter(db);

  return (f: Filing, sourceMessageId: string): FileOutcome => {
    const decision = decideFiling(f, facts(f.citizen, f.documentId, f.setId));
    const at = now();
    const note = (action: string, target: string, outcome: string, detail: string) =>
      audit({ actor: f.sender, action, mailbox: f.citizen, target, outcome, detail }, at);
    switch (decision.kind) {
      case 'refuse':
        throw new StoreConflict(`${decision.refusal.en} (${decision.refusal.detail ?? ''})`);
      case 'duplicate':
        return 'duplicate';
      case 'visibility-ignored':
        return 'visibility-ignored';
      case 'update-visibility':
        setCodes.run(decision.to.join(' '), decision.filed.rowId);
        note('record.visibility', f.documentId, 'updated', `${decision.from.join(' ') || 'normal'} → ${decision.to.join(' ') || 'normal'}`);
        return 'visibility-updated';
      case 'file-current':
      case 'file-history': {
        const current = decision.kind === 'file-current';
        const id = Number(
          insert.run({
            citizen: f.citizen,
            documentId: f.documentId,
            setId: f.setId,
            version: f.version,
            status: current ? 'current' : 'replaced',
            replacedBy: current ? null : decision.under.rowId,
            typeCode: f.typeCode,
            category: f.category,
            title: f.title,
            authorName: f.authorName,
            authorId: f.authorId,
            effectiveAt: f.effectiveAt?.getTime() ?? null,
            effectiveTime: f.effectiveTime,
            sender: f.sender,
            sourceMessageId,
            confidentiality: f.confidentiality.join(' '),
            cdaBlobId: f.cda.blobId,
            cdaSize: f.cda.size,
            pdfBlobId: f.pdf?.blobId ?? null,
            pdfSize: f.pdf?.size ?? null,
            at,
            contentHash: f.contentHash,
            custodian: f.custodian,
            organisation: f.organisation,
            source: f.source ?? 'message',
            contentType: f.contentType ?? 'text/xml',
          }).lastInsertRowid,
        );
        const old = decision.kind === 'file-current' ? decision.replaces : undefined;
        if (old) {
          replace.run(id, old.rowId);
          note('record.replace', old.documentId, 'replaced', `v${old.version} → v${f.version} (${f.documentId}) by ${f.organisation}`);
        }
        return current ? 'filed' : 'filed-as-replaced';
      }
    }
  };
}

export function sqliteRecord(db: Db): RecordStore {
  const list = db.prepare('SELECT * FROM record_documents WHERE citizen = ? ORDER BY filed_at DESC, id DESC');
  const has = db.prepare('SELECT 1 FROM record_documents WHERE citizen = ? AND document_id = ?').pluck();
  const byRow = db.prepare('SELECT * FROM record_documents WHERE citizen = ? AND id = ?');
  const fromMessage = db.prepare('SELECT * FROM record_documents WHERE citizen = ? AND source_message_id = ? ORDER BY id');
  const byDocumentId = db.prepare('SELECT * FROM record_documents WHERE citizen = ? AND document_id = ?');
  const versions = db.prepare('SELECT * FROM record_documents WHERE citizen = ? AND set_id = ? ORDER BY version DESC, id DESC');
  const insertBlob = db.prepare('INSERT OR IGNORE INTO blobs (id, size, created_at, mime) VALUES (?, ?, ?, NULL)');
  const audit = auditWriter(db);
  const facts = factsReader(db);
  const file = recordFiler(db);

  // The rows and their activity lines commit together, or none of them does.
  const fileForCitizen = db.transaction((filings: readonly Filing[], options: { actor: string; sourceMessageId: string }): CitizenFiled[] =>
    filings.map((f): CitizenFiled => {
      if (has.get(f.citizen, f.documentId) !== undefined) return { documentId: f.documentId, outcome: 'already-filed' };
      const at = now();
      insertBlob.run(f.cda.blobId, f.cda.size, at);
      if (f.pdf) insertBlob.run(f.pdf.blobId, f.pdf.size, at);
      const outcome = file(f, options.sourceMessageId);
      if (outcome !== 'filed' && outcome !== 'filed-as-replaced') {
        // Only a document id already filed gives these, and that was looked at above.
        throw new StoreConflict(`document ${f.documentId} was filed meanwhile (${outcome})`);
      }
      audit(
        {
          actor: options.actor,
          action: 'record.file',
          mailbox: f.citizen,
          target: f.documentId,
          outcome,
          detail: `${f.category} v${f.version} by the citizen${f.source === 'citizen' ? ` (${f.contentType ?? 'text/xml'})` : ''}`,
        },
        at,
      );
      const row = byDocumentId.get(f.citizen, f.documentId) as RecordRow;
      return { documentId: f.documentId, document: toDocument(row), outcome };
    }),
  );

  return {
    async list(citizen) {
      return (list.all(citizen) as RecordRow[]).map(toDocument);
    },
    async fromMessage(citizen, sourceMessageId) {
      return (fromMessage.all(citizen, sourceMessageId) as RecordRow[]).map(toDocument);
    },
    async byId(citizen, id) {
      const row = byRow.get(citizen, id) as RecordRow | undefined;
      return row && toDocument(row);
    },
    async has(citizen, documentId) {
      return has.get(citizen, documentId) !== undefined;
    },
    async facts(citizen, documentId, setId) {
      return facts(citizen, documentId, setId);
    },
    async versions(citizen, setId) {
      return (versions.all(citizen, setId) as RecordRow[]).map(toDocument);
    },
    async fileForCitizen(filings, options) {
      return fileForCitizen(filings, options);
    },
  };
}
