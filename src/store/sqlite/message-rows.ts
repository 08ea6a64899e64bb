/**
 * Message rows as the store returns them: the system flag columns and the keywords table put
 * back together into one flag list, system flags first.
 */
import type { StoredMessage } from '../types.js';
import { SYSTEM_FLAGS, type SystemFlag } from '../types.js';
import type { Db } from './database.js';

export interface MessageRow {
  id: number;
  folder_id: number;
  uid: number;
  modseq: number;
  blob_id: string;
  size: number;
  internal_date: number;
  seen: number;
  answered: number;
  flagged: number;
  deleted: number;
  draft: number;
  message_id: string | null;
  subject: string | null;
  from_address: string | null;
  date: number | null;
  has_attachments: number;
  conversation_id: number | null;
}

export const MESSAGE_COLUMNS = `x.id, x.folder_id, x.uid, x.modseq, x.blob_id, x.size, x.internal_date, x.seen, x.answered,
  x.flagged, x.deleted, x.draft, x.message_id, x.subject, x.from_address, x.date, x.has_attachments, x.conversation_id`;

/** system flag → its column */
export const FLAG_COLUMNS: Record<SystemFlag, 'seen' | 'answered' | 'flagged' | 'deleted' | 'draft'> = {
  '\\Seen': 'seen',
  '\\Answered': 'answered',
  '\\Flagged': 'flagged',
  '\\Deleted': 'deleted',
  '\\Draft': 'draft',
};

export function isSystemFlag(flag: string): flag is SystemFlag {
  return (SYSTEM_FLAGS as readonly string[]).includes(flag);
}

/** Flags as clients write them: system flags are case-insensitive (RFC 3501 §2.3.2). */
export function canonicalFlag(flag: string): string {
  if (!flag.startsWith('\\')) return flag;
  const lower = flag.toLowerCase();
  return SYSTEM_FLAGS.find((f) => f.toLowerCase() === lower) ?? flag;
}

export function systemFlagsOf(row: MessageRow): string[] {
  const flags: string[] = [];
  for (const flag of SYSTEM_FLAGS) if (row[FLAG_COLUMNS[flag]] === 1) flags.push(flag);
  return flags;
}

export function toMessage(row: MessageRow, keywords: readonly string[] = []): StoredMessage {
  return {
    id: row.id,
    folderId: row.folder_id,
    uid: row.uid,
    modseq: row.modseq,
    blobId: row.blob_id,
    size: row.size,
    internalDate: new Date(row.internal_date),
    flags: [...systemFlagsOf(row), ...[...keywords].sort()],
    messageId: row.message_id,
    subject: row.subject,
    from: row.from_address,
    date: row.date === null ? null : new Date(row.date),
    hasAttachments: row.has_attachments === 1,
    conversationId: row.conversation_id,
  };
}

/** Reads the keywords of a set of rows in one query and builds the messages. */
export function keywordReader(db: Db): (rows: MessageRow[]) => StoredMessage[] {
  const inRange = db.prepare(`SELECT k.message_id AS id, k.keyword FROM message_keywords k
    JOIN messages x ON x.id = k.message_id WHERE x.folder_id = ? AND x.uid BETWEEN ? AND ?`);
  const one = db.prepare('SELECT keyword FROM message_keywords WHERE message_id = ?').pluck();
  return (rows) => {
    if (rows.length === 0) return [];
    if (rows.length === 1) return [toMessage(rows[0]!, one.all(rows[0]!.id) as string[])];
    const byId = new Map<number, string[]>();
    // Rows of one folder come in UID order; keywords are rare, so one range read serves all.
    const folders = new Set(rows.map((r) => r.folder_id));
    for (const folderId of folders) {
      let low = Infinity;
      let high = 0;
      for (const r of rows) {
        if (r.folder_id !== folderId) continue;
        low = Math.min(low, r.uid);
        high = Math.max(high, r.uid);
      }
      for (const k of inRange.all(folderId, low, high) as Array<{ id: number; keyword: string }>) {
        const list = byId.get(k.id);
        if (list) list.push(k.keyword);
        else byId.set(k.id, [k.keyword]);
      }
    }
    return rows.map((r) => toMessage(r, byId.get(r.id)));
  };
}
