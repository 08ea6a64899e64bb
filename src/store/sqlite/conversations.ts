import type { ConversationRecord, ConversationStore, Writer } from '../types.js';
import { now, type Db } from './database.js';

interface ConversationRow {
  id: number;
  professional: string;
  citizen: string;
  state: 'open' | 'closed';
  created_at: number;
}

function toRecord(row: ConversationRow): ConversationRecord {
  return { id: row.id, professional: row.professional, citizen: row.citizen, state: row.state, createdAt: new Date(row.created_at) };
}

export function sqliteConversations(db: Db): ConversationStore {
  const byMessage = db.prepare(`SELECT c.* FROM conversation_messages cm JOIN conversations c ON c.id = cm.conversation_id
    WHERE cm.message_id = ? AND cm.citizen = ?`);
  const byId = db.prepare('SELECT * FROM conversations WHERE id = ?');
  const contact = db.prepare('SELECT 1 FROM contacts WHERE citizen = ? AND professional = ?').pluck();
  const writers = db.prepare('SELECT professional, first_at, last_at FROM contacts WHERE citizen = ? ORDER BY last_at DESC, professional');
  const close = db.prepare("UPDATE conversations SET state = 'closed', closed_at = ? WHERE id = ? AND state = 'open'");
  return {
    async answered(messageIds, citizen) {
      for (const id of messageIds) {
        const row = byMessage.get(id, citizen) as ConversationRow | undefined;
        if (row) return toRecord(row);
      }
      return undefined;
    },
    async byId(id) {
      const row = byId.get(id) as ConversationRow | undefined;
      return row && toRecord(row);
    },
    async hasWritten(professional, citizen) {
      return contact.get(citizen, professional) !== undefined;
    },
    async writersTo(citizen) {
      const rows = writers.all(citizen) as Array<{ professional: string; first_at: number; last_at: number }>;
      return rows.map((r): Writer => ({ professional: r.professional, firstAt: new Date(r.first_at), lastAt: new Date(r.last_at) }));
    },
    async close(id) {
      return close.run(now(), id).changes === 1;
    },
  };
}
