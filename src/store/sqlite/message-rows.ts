/**
 * Message rows as the store returns them: the system flag columns and the keywords table put
 * back together into one flag list, system flags first. The keywords come with the row (a
 * subquery on the keywords' primary key), so that a read is one statement however many rows.
 */
import type { MessageState, StoredMessage } from '../types.js';
import { SYSTEM_FLAGS, type SystemFlag } from '../types.js';

/** what a flag resync needs of a row */
export interface StateRow {
  uid: number;
  modseq: number;
  seen: number;
  answered: number;
  flagged: number;
  deleted: number;
  draft: number;
  /** the keywords, separated by spaces (a keyword is an atom: it has none), or null */
  keywords: string | null;
}

export interface MessageRow extends StateRow {
  id: number;
  folder_id: number;
  blob_id: string;
  size: number;
  internal_date: number;
  message_id: string | null;
  subject: string | null;
  from_address: string | null;
  date: number | null;
  has_attachments: number;
  conversation_id: number | null;
}

const KEYWORDS = `(SELECT group_concat(k.keyword, ' ') FROM message_keywords k WHERE k.message_id = x.id) AS keywords`;

export const STATE_COLUMNS = `x.uid, x.modseq, x.seen, x.answered, x.flagged, x.deleted, x.draft, ${KEYWORDS}`;

export const MESSAGE_COLUMNS = `x.id, x.folder_id, x.uid, x.modseq, x.blob_id, x.size, x.internal_date, x.seen, x.answered,
  x.flagged, x.deleted, x.draft, x.message_id, x.subject, x.from_address, x.date, x.has_attachments, x.conversation_id, ${KEYWORDS}`;

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

export function systemFlagsOf(row: StateRow): string[] {
  const flags: string[] = [];
  for (const flag of SYSTEM_FLAGS) if (row[FLAG_COLUMNS[flag]] === 1) flags.push(flag);
  return flags;
}

/** the keywords the row came with (its `keywords` column) */
export function keywordsOf(row: StateRow): string[] {
  return row.keywords ? row.keywords.split(' ') : [];
}

/** system flags, then keywords in a stable order */
function flagsOf(row: StateRow): string[] {
  return [...systemFlagsOf(row), ...keywordsOf(row).sort()];
}

export function toState(row: StateRow): MessageState {
  return { uid: row.uid, modseq: row.modseq, flags: flagsOf(row) };
}

export function toMessage(row: MessageRow): StoredMessage {
  return {
    id: row.id,
    folderId: row.folder_id,
    uid: row.uid,
    modseq: row.modseq,
    blobId: row.blob_id,
    size: row.size,
    internalDate: new Date(row.internal_date),
    flags: flagsOf(row),
    messageId: row.message_id,
    subject: row.subject,
    from: row.from_address,
    date: row.date === null ? null : new Date(row.date),
    hasAttachments: row.has_attachments === 1,
    conversationId: row.conversation_id,
  };
}
