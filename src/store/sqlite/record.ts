/** The citizen's health record: filing with versions, and listing. */
import type { Filing, RecordDocument, RecordStore } from '../types.js';
import { now, type Db } from './database.js';

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
}

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
    confidentiality: r.confidentiality ? r.confidentiality.split(' ') : [],
    cdaBlobId: r.cda_blob_id,
    cdaSize: r.cda_size,
    pdfBlobId: r.pdf_blob_id,
    pdfSize: r.pdf_size,
    filedAt: new Date(r.filed_at),
  };
}

export type FileOutcome = 'filed' | 'filed-as-replaced' | 'duplicate';

/**
 * Files one document inside the caller's transaction. A document id already filed is not filed
 * again; a higher version of the same set replaces the current one, which stays as history; a
 * lower version arriving late is kept as history without becoming current.
 */
export function recordFiler(db: Db) {
  const exists = db.prepare('SELECT 1 FROM record_documents WHERE citizen = ? AND document_id = ?').pluck();
  const current = db.prepare("SELECT id, version FROM record_documents WHERE citizen = ? AND set_id = ? AND status = 'current'");
  const insert = db.prepare(`INSERT INTO record_documents (citizen, document_id, set_id, version, status, replaced_by, type_code,
      category, title, author_name, author_id, effective_at, effective_time, sender, source_message_id, confidentiality,
      cda_blob_id, cda_size, pdf_blob_id, pdf_size, filed_at)
    VALUES (@citizen, @documentId, @setId, @version, @status, @replacedBy, @typeCode, @category, @title, @authorName, @authorId,
      @effectiveAt, @effectiveTime, @sender, @sourceMessageId, @confidentiality, @cdaBlobId, @cdaSize, @pdfBlobId, @pdfSize, @at)`);
  const replace = db.prepare("UPDATE record_documents SET status = 'replaced', replaced_by = ? WHERE id = ?");
  return (f: Filing, sourceMessageId: string): FileOutcome => {
    if (exists.get(f.citizen, f.documentId)) return 'duplicate';
    const previous = current.get(f.citizen, f.setId) as { id: number; version: number } | undefined;
    const newer = !previous || f.version > previous.version;
    const result = insert.run({
      citizen: f.citizen,
      documentId: f.documentId,
      setId: f.setId,
      version: f.version,
      status: newer ? 'current' : 'replaced',
      replacedBy: newer ? null : previous.id,
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
      at: now(),
    });
    if (newer && previous) replace.run(result.lastInsertRowid, previous.id);
    return newer ? 'filed' : 'filed-as-replaced';
  };
}

export function sqliteRecord(db: Db): RecordStore {
  const list = db.prepare('SELECT * FROM record_documents WHERE citizen = ? ORDER BY filed_at DESC, id DESC');
  const has = db.prepare('SELECT 1 FROM record_documents WHERE citizen = ? AND document_id = ?').pluck();
  return {
    async list(citizen) {
      return (list.all(citizen) as RecordRow[]).map(toDocument);
    },
    async has(citizen, documentId) {
      return has.get(citizen, documentId) !== undefined;
    },
  };
}
