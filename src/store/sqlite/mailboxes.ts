import type { Mailbox, MailboxKind, MailboxState } from '../../domain/mailbox.js';
import { StoreConflict, type MailboxStore } from '../types.js';
import { now, type Db } from './database.js';
import { createStandardFolders } from './folders.js';

interface MailboxRow {
  id: number;
  address: string;
  kind: MailboxKind;
  pharmacy: number;
  display_name: string | null;
  rpps: string | null;
  ins: string | null;
  state: MailboxState;
  personal_email: string | null;
  has_password: number;
  created_at: number;
}

const COLUMNS = `id, address, kind, pharmacy, display_name, rpps, ins, state, personal_email,
  password_hash IS NOT NULL AS has_password, created_at`;

function toMailbox(row: MailboxRow): Mailbox {
  return {
    id: row.id,
    address: row.address,
    kind: row.kind,
    pharmacy: row.pharmacy === 1,
    displayName: row.display_name,
    rpps: row.rpps,
    ins: row.ins,
    state: row.state,
    personalEmail: row.personal_email,
    hasPassword: row.has_password === 1,
    createdAt: new Date(row.created_at),
  };
}

export function sqliteMailboxes(db: Db): MailboxStore {
  const insert = db.prepare(`INSERT INTO mailboxes
    (address, kind, pharmacy, display_name, rpps, ins, state, password_hash, personal_email, created_at, state_at)
    VALUES (@address, @kind, @pharmacy, @displayName, @rpps, @ins, @state, @passwordHash, @personalEmail, @at, @at)`);
  const byAddress = db.prepare(`SELECT ${COLUMNS} FROM mailboxes WHERE address = ?`);
  const byIns = db.prepare(`SELECT ${COLUMNS} FROM mailboxes WHERE ins = ?`);
  const byId = db.prepare(`SELECT ${COLUMNS} FROM mailboxes WHERE id = ?`);
  const hash = db.prepare('SELECT password_hash FROM mailboxes WHERE address = ?').pluck();
  const setHash = db.prepare('UPDATE mailboxes SET password_hash = ? WHERE address = ?');
  const setEmail = db.prepare('UPDATE mailboxes SET personal_email = ? WHERE address = ?');
  const setState = db.prepare('UPDATE mailboxes SET state = ?, state_at = ? WHERE address = ?');
  const list = db.prepare(`SELECT ${COLUMNS} FROM mailboxes ORDER BY kind = 'CITIZEN', address`);
  // Inactivity is counted in days: one write an hour is enough, and a burst of logins then
  // costs no commit (each would be an fsync on the event loop).
  const touch = db.prepare('UPDATE mailboxes SET last_used_at = @now WHERE address = @address AND (last_used_at IS NULL OR last_used_at < @now - 3600000)');
  const create = db.transaction((values: Record<string, unknown>) => {
    const result = insert.run(values);
    createStandardFolders(db, result.lastInsertRowid);
    return result;
  });

  return {
    async create(mailbox) {
      try {
        const result = create({
          address: mailbox.address,
          kind: mailbox.kind,
          pharmacy: mailbox.pharmacy ? 1 : 0,
          displayName: mailbox.displayName ?? null,
          rpps: mailbox.rpps ?? null,
          ins: mailbox.ins ?? null,
          state: mailbox.state ?? 'open',
          passwordHash: mailbox.passwordHash ?? null,
          personalEmail: mailbox.personalEmail ?? null,
          at: now(),
        });
        return toMailbox(byId.get(result.lastInsertRowid) as MailboxRow);
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
          throw new StoreConflict(`mailbox ${mailbox.address} already exists`);
        }
        throw err;
      }
    },
    async byAddress(address) {
      const row = byAddress.get(address) as MailboxRow | undefined;
      return row && toMailbox(row);
    },
    async byId(id) {
      const row = byId.get(id) as MailboxRow | undefined;
      return row && toMailbox(row);
    },
    async byIns(ins) {
      const row = byIns.get(ins) as MailboxRow | undefined;
      return row && toMailbox(row);
    },
    async passwordHash(address) {
      return (hash.get(address) as string | null | undefined) ?? undefined;
    },
    async setPasswordHash(address, value) {
      return setHash.run(value, address).changes === 1;
    },
    async setPersonalEmail(address, email) {
      return setEmail.run(email, address).changes === 1;
    },
    async setState(address, state) {
      return setState.run(state, now(), address).changes === 1;
    },
    async list() {
      return (list.all() as MailboxRow[]).map(toMailbox);
    },
    async touch(address) {
      touch.run({ now: now(), address });
    },
  };
}
