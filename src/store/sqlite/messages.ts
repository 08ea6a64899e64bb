/**
 * Message rows: delivery, and everything a reader does to a folder (append, flags, copy, move,
 * expunge), each change journalled with a MODSEQ and announced on the change bus once
 * committed. Reads (fetch, page, changes) are in message-reads.ts.
 *
 * Deliveries are committed in groups: every delivery that arrives while the event loop is busy
 * joins the next transaction, so concurrent sessions share one fsync of the write-ahead log
 * instead of paying one each. Each delivery is its own savepoint inside the group, so one that
 * fails takes no other down with it. The group commits with synchronous=NORMAL (the WAL is
 * written, not fsynced) and the WAL is then fsynced on libuv's thread pool before any delivery
 * of the group is acknowledged: as durable as synchronous=FULL, without stopping the event loop.
 */
import { open } from 'node:fs/promises';
import type { Delivered, Delivery, MailboxChange, MessageStore, NewMessage } from '../types.js';
import { StoreRefusal } from '../types.js';
import type { ChangeBus } from './changes.js';
import { now, type Db } from './database.js';
import { auditWriter } from './audit.js';
import { sqliteJournal } from './journal.js';
import { canonicalFlag, FLAG_COLUMNS, isSystemFlag, keywordsOf, MESSAGE_COLUMNS, type MessageRow } from './message-rows.js';
import { sqliteMessageReads } from './message-reads.js';
import { recordFiler } from './record.js';


/** Keywords one message may carry: a client cannot grow a row without bound. */
export const MAX_KEYWORDS = 64;
const KEYWORD = /^[\x21-\x7e]{1,128}$/;

interface FlagSet {
  system: Record<'seen' | 'answered' | 'flagged' | 'deleted' | 'draft', number>;
  keywords: string[];
}

function splitFlags(flags: readonly string[]): FlagSet {
  const system = { seen: 0, answered: 0, flagged: 0, deleted: 0, draft: 0 };
  const keywords = new Set<string>();
  for (const raw of flags) {
    const flag = canonicalFlag(raw);
    if (isSystemFlag(flag)) system[FLAG_COLUMNS[flag]] = 1;
    else if (flag === '\\Recent') continue; // a session's flag, never stored
    else if (KEYWORD.test(flag) && !flag.startsWith('\\') && !/[(){%*"\\\]]/.test(flag)) keywords.add(flag);
    else throw new StoreRefusal('LIMIT', `${raw} is not a flag that can be stored`);
  }
  if (keywords.size > MAX_KEYWORDS) throw new StoreRefusal('LIMIT', `a message carries at most ${MAX_KEYWORDS} keywords`);
  return { system, keywords: [...keywords] };
}

export function sqliteMessages(db: Db, bus: ChangeBus): MessageStore {
  const journal = sqliteJournal(db);
  const { highestModseq, ...reads } = sqliteMessageReads(db);
  const insertBlob = db.prepare('INSERT OR IGNORE INTO blobs (id, size, created_at, mime) VALUES (?, ?, ?, ?)');
  const insertConversation = db.prepare('INSERT INTO conversations (professional, citizen, created_at) VALUES (?, ?, ?)');
  const linkMessage = db.prepare('INSERT OR IGNORE INTO conversation_messages (message_id, citizen, conversation_id) VALUES (?, ?, ?)');
  const closeOne = db.prepare("UPDATE conversations SET state = 'closed', closed_at = ? WHERE id = ? AND state = 'open'");
  const closePair = db.prepare("UPDATE conversations SET state = 'closed', closed_at = ? WHERE citizen = ? AND professional = ? AND state = 'open'");
  const upsertContact = db.prepare(`INSERT INTO contacts (professional, citizen, first_at, last_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (citizen, professional) DO UPDATE SET last_at = excluded.last_at`);
  const folderOf = db.prepare(`SELECT f.id, f.mailbox_id, m.kind FROM folders f
    JOIN mailboxes m ON m.id = f.mailbox_id WHERE m.address = ? AND f.name = ?`);
  const folderOfMailbox = db.prepare('SELECT id FROM folders WHERE mailbox_id = ? AND id = ?').pluck();
  const kindOf = db.prepare('SELECT kind FROM mailboxes WHERE id = ?').pluck();
  const insertMessage = db.prepare(`INSERT INTO messages (folder_id, uid, modseq, blob_id, size, internal_date,
      seen, answered, flagged, deleted, draft, message_id, subject, from_address, date, has_attachments, conversation_id, expires_at)
    VALUES (@folderId, @uid, @modseq, @blobId, @size, @at, @seen, @answered, @flagged, @deleted, @draft,
      @messageId, @subject, @from, @date, @hasAttachments, @conversationId, @expiresAt)`);
  const insertKeyword = db.prepare('INSERT OR IGNORE INTO message_keywords (message_id, keyword) VALUES (?, ?)');
  const deleteKeyword = db.prepare('DELETE FROM message_keywords WHERE message_id = ? AND keyword = ?');
  const insertRelay = db.prepare(`INSERT INTO relay_queue (blob_id, sender, recipient, domain, envelope_id, next_attempt_at, created_at, expires_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
  const insertNotify = db.prepare(`INSERT INTO notify_queue (mailbox, email, reason, next_attempt_at, created_at) VALUES (?, ?, 'new-message', ?, ?)`);
  const insertAudit = auditWriter(db);
  const rowsByUid = db.prepare(`SELECT ${MESSAGE_COLUMNS}, x.expires_at FROM messages x WHERE x.folder_id = ? AND x.uid BETWEEN ? AND ? ORDER BY x.uid`);
  const setFlagColumns = db.prepare(`UPDATE messages SET seen = @seen, answered = @answered, flagged = @flagged,
    deleted = @deleted, draft = @draft, modseq = @modseq WHERE id = @id`);
  const copyRow = db.prepare(`INSERT INTO messages (folder_id, uid, modseq, blob_id, size, internal_date, seen, answered, flagged,
      deleted, draft, message_id, subject, from_address, date, has_attachments, conversation_id, expires_at)
    SELECT @folderId, @uid, @modseq, blob_id, size, internal_date, seen, answered, flagged, deleted, draft, message_id,
      subject, from_address, date, has_attachments, conversation_id, expires_at FROM messages WHERE id = @id`);
  const copyKeywords = db.prepare('INSERT INTO message_keywords (message_id, keyword) SELECT ?, keyword FROM message_keywords WHERE message_id = ?');

  const file = recordFiler(db);

  function checkFolder(mailboxId: number, folderId: number): void {
    if (folderOfMailbox.get(mailboxId, folderId) === undefined) throw new StoreRefusal('NOT_FOUND', `no folder ${folderId} in this mailbox`);
  }

  /** the rows of a folder with these UIDs, ascending */
  function rowsOf(folderId: number, uids: readonly number[]): Array<MessageRow & { expires_at: number | null }> {
    if (uids.length === 0) return [];
    let low = Infinity;
    let high = 0;
    for (const uid of uids) {
      if (uid < low) low = uid;
      if (uid > high) high = uid;
    }
    const rows = rowsByUid.all(folderId, low, high) as Array<MessageRow & { expires_at: number | null }>;
    if (rows.length === high - low + 1 && uids.length === rows.length) return rows;
    const wanted = new Set(uids);
    return rows.filter((r) => wanted.has(r.uid));
  }

  function expiresFor(mailboxId: number, expiresAt: { professional: Date; citizen: Date } | undefined): number | null {
    if (!expiresAt) return null;
    return (kindOf.get(mailboxId) === 'CITIZEN' ? expiresAt.citizen : expiresAt.professional).getTime();
  }

  function insertOne(
    folderId: number,
    uid: number,
    modseq: number,
    m: { blobId: string; size: number; at: number; flags: readonly string[]; messageId: string | null; subject: string | null; from: string | null; date: Date | null; hasAttachments: boolean; conversationId: number | null; expiresAt: number | null },
  ): number {
    const flags = splitFlags(m.flags);
    const id = Number(
      insertMessage.run({
        folderId,
        uid,
        modseq,
        blobId: m.blobId,
        size: m.size,
        at: m.at,
        ...flags.system,
        messageId: m.messageId,
        subject: m.subject,
        from: m.from,
        date: m.date?.getTime() ?? null,
        hasAttachments: m.hasAttachments ? 1 : 0,
        conversationId: m.conversationId,
        expiresAt: m.expiresAt,
      }).lastInsertRowid,
    );
    for (const k of flags.keywords) insertKeyword.run(id, k);
    return id;
  }

  const commitOne = db.transaction((d: Delivery): { delivered: Delivered; changes: MailboxChange[] } => {
    const at = now();
    insertBlob.run(d.blob.id, d.blob.size, at, JSON.stringify(d.mime));

    const conversationIds = d.conversations.map((c) => {
      const id = c.existingId ?? Number(insertConversation.run(c.professional, c.citizen, at).lastInsertRowid);
      linkMessage.run(d.messageId, c.citizen, id);
      if (c.close === 'this') closeOne.run(at, id);
      if (c.close === 'all-with-citizen') closePair.run(at, c.citizen, c.professional);
      return id;
    });
    for (const c of d.contacts) upsertContact.run(c.professional, c.citizen, at, at);

    const changes: MailboxChange[] = [];
    const copies = d.targets.map((t) => {
      const folder = folderOf.get(t.mailbox, t.folder) as { id: number; mailbox_id: number; kind: string } | undefined;
      if (!folder) throw new Error(`no folder ${t.folder} for ${t.mailbox}`);
      const uid = journal.reserveUids(folder.id, 1);
      const modseq = journal.nextModseq(folder.id);
      const expires = folder.kind === 'CITIZEN' ? d.expiresAt.citizen : d.expiresAt.professional;
      const id = insertOne(folder.id, uid, modseq, {
        blobId: d.blob.id,
        size: d.blob.size,
        at,
        flags: t.flags ?? [],
        messageId: d.messageId,
        subject: d.subject,
        from: d.from,
        date: d.date,
        hasAttachments: d.hasAttachments,
        conversationId: t.conversation === undefined ? null : conversationIds[t.conversation]!,
        expiresAt: expires.getTime(),
      });
      changes.push({ mailboxId: folder.mailbox_id, folderId: folder.id, modseq });
      return { mailbox: t.mailbox, folder: t.folder, uid, id };
    });

    for (const recipient of d.relay) {
      const domain = recipient.slice(recipient.lastIndexOf('@') + 1);
      insertRelay.run(d.blob.id, d.envelopeSender, recipient, domain, d.envelopeId ?? null, at, at, d.relayExpiresAt.getTime());
    }
    for (const n of d.notify) insertNotify.run(n.mailbox, n.email, at, at);
    for (const f of d.filings ?? []) {
      insertBlob.run(f.cda.blobId, f.cda.size, at, null);
      if (f.pdf) insertBlob.run(f.pdf.blobId, f.pdf.size, at, null);
      const outcome = file(f, d.messageId);
      insertAudit(
        {
          actor: f.sender,
          action: 'record.file',
          mailbox: f.citizen,
          target: f.documentId,
          outcome,
          detail: `${f.category} v${f.version}${f.confidentiality.length ? ` [${f.confidentiality.join(' ')}]` : ''}`,
        },
        at,
      );
    }
    for (const entry of d.audit) {
      insertAudit(entry, at);
    }
    return { delivered: { copies, conversationIds }, changes };
  });

  type Committed = { delivered: Delivered; changes: MailboxChange[] };
  type Pending = { delivery: Delivery; resolve: (d: Delivered) => void; reject: (e: unknown) => void };
  let pending: Pending[] = [];
  const commitGroup = db.transaction((group: Pending[]) =>
    group.map((item) => {
      try {
        return { ok: true as const, value: commitOne(item.delivery) as Committed };
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
      () =>
        results.forEach((r, i) => {
          if (!r.ok) return group[i]!.reject(r.error);
          group[i]!.resolve(r.value.delivered);
          for (const change of r.value.changes) bus.emit(change);
        }),
      (error: unknown) => group.forEach((item) => item.reject(error)),
    );
  }

  const append = db.transaction((mailboxId: number, folderId: number, m: NewMessage) => {
    checkFolder(mailboxId, folderId);
    insertBlob.run(m.blob.id, m.blob.size, now(), JSON.stringify(m.mime));
    const uid = journal.reserveUids(folderId, 1);
    const modseq = journal.nextModseq(folderId);
    const id = insertOne(folderId, uid, modseq, {
      blobId: m.blob.id,
      size: m.blob.size,
      at: (m.internalDate ?? new Date()).getTime(),
      flags: m.flags ?? [],
      messageId: m.messageId ?? null,
      subject: m.subject ?? null,
      from: m.from ?? null,
      date: m.date ?? null,
      hasAttachments: m.hasAttachments ?? false,
      conversationId: null,
      expiresAt: expiresFor(mailboxId, m.expiresAt),
    });
    return { id, uid, modseq };
  });

  const setFlags = db.transaction(
    (mailboxId: number, folderId: number, uids: readonly number[], change: Parameters<MessageStore['setFlags']>[3], unchangedSince: number | undefined) => {
      checkFolder(mailboxId, folderId);
      const given = splitFlags(change.flags);
      const conflicts: number[] = [];
      const updated: Array<{ uid: number; flags: string[]; modseq: number }> = [];
      let modseq = 0;
      for (const row of rowsOf(folderId, uids)) {
        if (unchangedSince !== undefined && row.modseq > unchangedSince) {
          conflicts.push(row.uid);
          continue;
        }
        const system = { seen: row.seen, answered: row.answered, flagged: row.flagged, deleted: row.deleted, draft: row.draft };
        // the row read its keywords with it: no second read per message
        const before = new Set(keywordsOf(row));
        const after = change.op === 'replace' ? new Set<string>() : new Set(before);
        for (const key of Object.keys(system) as Array<keyof typeof system>) {
          if (change.op === 'replace') system[key] = given.system[key];
          else if (given.system[key]) system[key] = change.op === 'add' ? 1 : 0;
        }
        for (const k of given.keywords) {
          if (change.op === 'remove') after.delete(k);
          else after.add(k);
        }
        if (after.size > MAX_KEYWORDS) throw new StoreRefusal('LIMIT', `a message carries at most ${MAX_KEYWORDS} keywords`);
        const sameSystem = (Object.keys(system) as Array<keyof typeof system>).every((k) => system[k] === row[k]);
        const sameKeywords = after.size === before.size && [...after].every((k) => before.has(k));
        if (sameSystem && sameKeywords) continue;
        modseq ||= journal.nextModseq(folderId);
        setFlagColumns.run({ ...system, modseq, id: row.id });
        for (const k of before) if (!after.has(k)) deleteKeyword.run(row.id, k);
        for (const k of after) if (!before.has(k)) insertKeyword.run(row.id, k);
        const flags = (Object.entries(FLAG_COLUMNS) as Array<[string, keyof typeof system]>).filter(([, c]) => system[c] === 1).map(([f]) => f);
        updated.push({ uid: row.uid, flags: [...flags, ...[...after].sort()], modseq });
      }
      return { updated, conflicts, highestModseq: modseq };
    },
  );

  const copy = db.transaction((mailboxId: number, folderId: number, uids: readonly number[], targetFolderId: number) => {
    checkFolder(mailboxId, folderId);
    checkFolder(mailboxId, targetFolderId);
    const rows = rowsOf(folderId, uids);
    const pairs: Array<[number, number]> = [];
    let modseq = 0;
    if (rows.length) {
      const first = journal.reserveUids(targetFolderId, rows.length);
      modseq = journal.nextModseq(targetFolderId);
      rows.forEach((row, i) => {
        const id = Number(copyRow.run({ folderId: targetFolderId, uid: first + i, modseq, id: row.id }).lastInsertRowid);
        copyKeywords.run(id, row.id);
        pairs.push([row.uid, first + i]);
      });
    }
    const validity = db.prepare('SELECT uid_validity FROM folders WHERE id = ?').pluck().get(targetFolderId) as number;
    return { outcome: { uidValidity: validity, pairs }, rows, modseq };
  });

  const move = db.transaction((mailboxId: number, folderId: number, uids: readonly number[], targetFolderId: number) => {
    const copied = copy(mailboxId, folderId, uids, targetFolderId);
    if (copied.rows.length === 0) return { ...copied, expunged: [] as number[], sourceModseq: 0 };
    const sourceModseq = journal.nextModseq(folderId);
    journal.remove(folderId, copied.rows, sourceModseq);
    return { ...copied, expunged: copied.rows.map((r) => r.uid), sourceModseq };
  });

  const deletedRows = db.prepare('SELECT id, uid FROM messages WHERE folder_id = ? AND deleted = 1 ORDER BY uid');
  const expunge = db.transaction((mailboxId: number, folderId: number, uids: readonly number[] | undefined) => {
    checkFolder(mailboxId, folderId);
    let rows = deletedRows.all(folderId) as Array<{ id: number; uid: number }>;
    if (uids) {
      const wanted = new Set(uids);
      rows = rows.filter((r) => wanted.has(r.uid));
    }
    if (rows.length === 0) return { expunged: [] as number[], modseq: 0 };
    const modseq = journal.nextModseq(folderId);
    journal.remove(folderId, rows, modseq);
    return { expunged: rows.map((r) => r.uid), modseq };
  });

  return {
    ...reads,
    deliver(delivery) {
      return new Promise((resolve, reject) => {
        if (pending.length === 0) setImmediate(flush);
        pending.push({ delivery, resolve, reject });
      });
    },
    async append(mailboxId, folderId, message) {
      const result = append(mailboxId, folderId, message);
      bus.emit({ mailboxId, folderId, modseq: result.modseq });
      return result;
    },
    async setFlags(mailboxId, folderId, uids, change, options) {
      const outcome = setFlags(mailboxId, folderId, uids, change, options?.unchangedSince);
      if (outcome.highestModseq) bus.emit({ mailboxId, folderId, modseq: outcome.highestModseq });
      else outcome.highestModseq = highestModseq(folderId);
      return outcome;
    },
    async copy(mailboxId, folderId, uids, targetFolderId) {
      const { outcome, modseq } = copy(mailboxId, folderId, uids, targetFolderId);
      if (modseq) bus.emit({ mailboxId, folderId: targetFolderId, modseq });
      return outcome;
    },
    async move(mailboxId, folderId, uids, targetFolderId) {
      const { outcome, modseq, expunged, sourceModseq } = move(mailboxId, folderId, uids, targetFolderId);
      if (modseq) bus.emit({ mailboxId, folderId: targetFolderId, modseq });
      if (sourceModseq) bus.emit({ mailboxId, folderId, modseq: sourceModseq });
      return { ...outcome, expunged, modseq: sourceModseq || highestModseq(folderId) };
    },
    async expunge(mailboxId, folderId, uids) {
      const result = expunge(mailboxId, folderId, uids);
      if (result.modseq) bus.emit({ mailboxId, folderId, modseq: result.modseq });
      else result.modseq = highestModseq(folderId);
      return result;
    },
  };
}

