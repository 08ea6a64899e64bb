/**
 * Message rows and their delivery. Deliveries are committed in groups: every delivery that
 * arrives while the event loop is busy joins the next transaction, so concurrent sessions share
 * one fsync of the write-ahead log instead of paying one each. Each delivery is its own
 * savepoint inside the group, so one that fails takes no other down with it.
 *
 * The group commits with synchronous=NORMAL (the WAL is written, not fsynced) and the WAL is then
 * fsynced on libuv's thread pool before any delivery of the group is acknowledged: as durable as
 * synchronous=FULL, without stopping the event loop for the fsync.
 */
import { open } from 'node:fs/promises';
import type { Delivered, Delivery, MessageStore, StoredMessage } from '../types.js';
import { STANDARD_FOLDERS } from '../types.js';
import { now, type Db } from './database.js';
import { recordFiler } from './record.js';

interface MessageRow {
  id: number;
  folder_id: number;
  uid: number;
  modseq: number;
  blob_id: string;
  size: number;
  internal_date: number;
  flags: string;
  message_id: string | null;
  subject: string | null;
  from_address: string | null;
  date: number | null;
  has_attachments: number;
  conversation_id: number | null;
}

function toMessage(row: MessageRow): StoredMessage {
  return {
    id: row.id,
    folderId: row.folder_id,
    uid: row.uid,
    modseq: row.modseq,
    blobId: row.blob_id,
    size: row.size,
    internalDate: new Date(row.internal_date),
    flags: row.flags ? row.flags.split(' ') : [],
    messageId: row.message_id,
    subject: row.subject,
    from: row.from_address,
    date: row.date === null ? null : new Date(row.date),
    hasAttachments: row.has_attachments === 1,
    conversationId: row.conversation_id,
  };
}

/** Creates the standard folders of a new mailbox (called in the mailbox's own transaction). */
export function createStandardFolders(db: Db, mailboxId: number | bigint): void {
  const insert = db.prepare('INSERT OR IGNORE INTO folders (mailbox_id, name, special_use, uid_validity) VALUES (?, ?, ?, ?)');
  // UIDVALIDITY: a positive 32-bit number that changes if a folder is ever re-created.
  const validity = Math.floor(Date.now() / 1000) & 0x7fffffff;
  for (const folder of STANDARD_FOLDERS) insert.run(mailboxId, folder.name, folder.specialUse, validity);
}

export function sqliteMessages(db: Db): MessageStore {
  const insertBlob = db.prepare('INSERT OR IGNORE INTO blobs (id, size, created_at) VALUES (?, ?, ?)');
  const insertConversation = db.prepare('INSERT INTO conversations (professional, citizen, created_at) VALUES (?, ?, ?)');
  const linkMessage = db.prepare('INSERT OR IGNORE INTO conversation_messages (message_id, citizen, conversation_id) VALUES (?, ?, ?)');
  const closeOne = db.prepare("UPDATE conversations SET state = 'closed', closed_at = ? WHERE id = ? AND state = 'open'");
  const closePair = db.prepare("UPDATE conversations SET state = 'closed', closed_at = ? WHERE citizen = ? AND professional = ? AND state = 'open'");
  const upsertContact = db.prepare(`INSERT INTO contacts (professional, citizen, first_at, last_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (citizen, professional) DO UPDATE SET last_at = excluded.last_at`);
  const folderOf = db.prepare(`SELECT f.id, f.uid_next, f.highest_modseq, m.kind FROM folders f
    JOIN mailboxes m ON m.id = f.mailbox_id WHERE m.address = ? AND f.name = ?`);
  const bumpFolder = db.prepare('UPDATE folders SET uid_next = uid_next + 1, highest_modseq = highest_modseq + 1 WHERE id = ?');
  const insertMessage = db.prepare(`INSERT INTO messages (folder_id, uid, modseq, blob_id, size, internal_date, flags,
      message_id, subject, from_address, date, has_attachments, conversation_id, expires_at)
    VALUES (@folderId, @uid, @modseq, @blobId, @size, @at, @flags, @messageId, @subject, @from, @date, @hasAttachments, @conversationId, @expiresAt)`);
  const insertRelay = db.prepare(`INSERT INTO relay_queue (blob_id, sender, recipient, domain, envelope_id, next_attempt_at, created_at, expires_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
  const insertNotify = db.prepare(`INSERT INTO notify_queue (mailbox, email, reason, next_attempt_at, created_at) VALUES (?, ?, 'new-message', ?, ?)`);
  const insertAudit = db.prepare(`INSERT INTO audit (at, actor, action, mailbox, target, outcome, detail)
    VALUES (@at, @actor, @action, @mailbox, @target, @outcome, @detail)`);

  const file = recordFiler(db);

  const commitOne = db.transaction((d: Delivery): Delivered => {
    const at = now();
    insertBlob.run(d.blob.id, d.blob.size, at);

    const conversationIds = d.conversations.map((c) => {
      const id = c.existingId ?? Number(insertConversation.run(c.professional, c.citizen, at).lastInsertRowid);
      linkMessage.run(d.messageId, c.citizen, id);
      if (c.close === 'this') closeOne.run(at, id);
      if (c.close === 'all-with-citizen') closePair.run(at, c.citizen, c.professional);
      return id;
    });
    for (const c of d.contacts) upsertContact.run(c.professional, c.citizen, at, at);

    const copies = d.targets.map((t) => {
      const folder = folderOf.get(t.mailbox, t.folder) as
        | { id: number; uid_next: number; highest_modseq: number; kind: string }
        | undefined;
      if (!folder) throw new Error(`no folder ${t.folder} for ${t.mailbox}`);
      bumpFolder.run(folder.id);
      const expires = folder.kind === 'CITIZEN' ? d.expiresAt.citizen : d.expiresAt.professional;
      const result = insertMessage.run({
        folderId: folder.id,
        uid: folder.uid_next,
        modseq: folder.highest_modseq + 1,
        blobId: d.blob.id,
        size: d.blob.size,
        at,
        flags: (t.flags ?? []).join(' '),
        messageId: d.messageId,
        subject: d.subject,
        from: d.from,
        date: d.date?.getTime() ?? null,
        hasAttachments: d.hasAttachments ? 1 : 0,
        conversationId: t.conversation === undefined ? null : conversationIds[t.conversation],
        expiresAt: expires.getTime(),
      });
      return { mailbox: t.mailbox, folder: t.folder, uid: folder.uid_next, id: Number(result.lastInsertRowid) };
    });

    for (const recipient of d.relay) {
      const domain = recipient.slice(recipient.lastIndexOf('@') + 1);
      insertRelay.run(d.blob.id, d.envelopeSender, recipient, domain, d.envelopeId ?? null, at, at, d.relayExpiresAt.getTime());
    }
    for (const n of d.notify) insertNotify.run(n.mailbox, n.email, at, at);
    for (const f of d.filings ?? []) {
      insertBlob.run(f.cda.blobId, f.cda.size, at);
      if (f.pdf) insertBlob.run(f.pdf.blobId, f.pdf.size, at);
      const outcome = file(f, d.messageId);
      insertAudit.run({
        at,
        actor: f.sender,
        action: 'record.file',
        mailbox: f.citizen,
        target: f.documentId,
        outcome,
        detail: `${f.category} v${f.version}${f.confidentiality.length ? ` [${f.confidentiality.join(' ')}]` : ''}`,
      });
    }
    for (const entry of d.audit) {
      insertAudit.run({ at, mailbox: null, target: null, detail: null, ...entry });
    }
    return { copies, conversationIds };
  });

  type Pending = { delivery: Delivery; resolve: (d: Delivered) => void; reject: (e: unknown) => void };
  let pending: Pending[] = [];
  const commitGroup = db.transaction((group: Pending[]) =>
    group.map((item) => {
      try {
        return { ok: true as const, value: commitOne(item.delivery) };
      } catch (error) {
        return { ok: false as const, error };
      }
    }),
  );
  const walFile = `${db.name}-wal`;
  async function syncWal(): Promise<void> {
    // Whatever file is the WAL now: a checkpoint that restarted it has already synced the data.
    const handle = await open(walFile, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  function flush(): void {
    const group = pending;
    pending = [];
    let results;
    try {
      db.pragma('synchronous = NORMAL');
      results = commitGroup(group);
    } catch (error) {
      // The COMMIT itself failed (disk full, I/O error): nothing of the group is stored.
      for (const item of group) item.reject(error);
      return;
    } finally {
      db.pragma('synchronous = FULL');
    }
    syncWal().then(
      () => results.forEach((r, i) => (r.ok ? group[i]!.resolve(r.value) : group[i]!.reject(r.error))),
      (error: unknown) => group.forEach((item) => item.reject(error)),
    );
  }

  const list = db.prepare(`SELECT x.* FROM messages x JOIN folders f ON f.id = x.folder_id JOIN mailboxes m ON m.id = f.mailbox_id
    WHERE m.address = ? AND f.name = ? ORDER BY x.uid`);
  const byId = db.prepare(`SELECT x.* FROM messages x JOIN folders f ON f.id = x.folder_id JOIN mailboxes m ON m.id = f.mailbox_id
    WHERE m.address = ? AND x.id = ?`);

  const hasBlob = db.prepare('SELECT 1 FROM blobs WHERE id = ?').pluck();

  return {
    async hasBlob(id) {
      return hasBlob.get(id) !== undefined;
    },
    deliver(delivery) {
      return new Promise((resolve, reject) => {
        if (pending.length === 0) setImmediate(flush);
        pending.push({ delivery, resolve, reject });
      });
    },
    async list(mailbox, folder) {
      return (list.all(mailbox, folder) as MessageRow[]).map(toMessage);
    },
    async byId(mailbox, id) {
      const row = byId.get(mailbox, id) as MessageRow | undefined;
      return row && toMessage(row);
    },
  };
}
