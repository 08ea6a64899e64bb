/**
 * Change notification. Writers in this process announce each commit at once; commits made by
 * other processes on the same file (a second `serve`, `mssgw purge`) are noticed by polling
 * SQLite's data_version, which moves only when another connection commits, and comparing the
 * folders' HIGHESTMODSEQ with what was last announced. Polling runs only while someone listens.
 */
import type { ChangeFeed, MailboxChange } from '../types.js';
import type { Db } from './database.js';

type Listener = (change: MailboxChange) => void;

export interface ChangeBus extends ChangeFeed {
  /** announces a change committed by this process */
  emit(change: MailboxChange): void;
  close(): void;
}

const POLL_MS = 200;

export function sqliteChangeBus(db: Db): ChangeBus {
  const listeners = new Map<number, Set<Listener>>();
  /** per watched mailbox: folder id → last announced HIGHESTMODSEQ */
  const known = new Map<number, Map<number, number>>();
  const dataVersion = db.prepare('PRAGMA data_version').pluck();
  const foldersOf = db.prepare('SELECT id, highest_modseq FROM folders WHERE mailbox_id = ?');
  let lastVersion = 0;
  let timer: NodeJS.Timeout | undefined;

  function snapshot(mailboxId: number): Map<number, number> {
    const rows = foldersOf.all(mailboxId) as Array<{ id: number; highest_modseq: number }>;
    return new Map(rows.map((r) => [r.id, r.highest_modseq]));
  }

  function deliver(change: MailboxChange): void {
    for (const listener of listeners.get(change.mailboxId) ?? []) {
      try {
        listener(change);
      } catch {
        // one session's failure must not keep the others from hearing of the change
      }
    }
  }

  function poll(): void {
    let version: number;
    try {
      version = dataVersion.get() as number;
    } catch {
      return; // the database is closing
    }
    if (version === lastVersion) return;
    lastVersion = version;
    for (const [mailboxId, before] of known) {
      const now = snapshot(mailboxId);
      known.set(mailboxId, now);
      let listChanged = now.size !== before.size;
      for (const [folderId, modseq] of now) {
        const old = before.get(folderId);
        if (old === undefined) listChanged = true;
        else if (old !== modseq) deliver({ mailboxId, folderId, modseq });
      }
      if (listChanged) deliver({ mailboxId, folderId: null, modseq: 0 });
    }
  }

  function startPolling(): void {
    if (timer) return;
    lastVersion = dataVersion.get() as number;
    timer = setInterval(poll, POLL_MS);
    timer.unref();
  }

  return {
    subscribe(mailboxId, listener) {
      let set = listeners.get(mailboxId);
      if (!set) {
        set = new Set();
        listeners.set(mailboxId, set);
        known.set(mailboxId, snapshot(mailboxId));
      }
      set.add(listener);
      startPolling();
      return () => {
        set.delete(listener);
        if (set.size === 0 && listeners.get(mailboxId) === set) {
          listeners.delete(mailboxId);
          known.delete(mailboxId);
        }
        if (listeners.size === 0 && timer) {
          clearInterval(timer);
          timer = undefined;
        }
      };
    },
    emit(change) {
      const folders = known.get(change.mailboxId);
      if (!folders) return;
      if (change.folderId === null) known.set(change.mailboxId, snapshot(change.mailboxId));
      else folders.set(change.folderId, Math.max(folders.get(change.folderId) ?? 0, change.modseq));
      deliver(change);
    },
    close() {
      if (timer) clearInterval(timer);
      timer = undefined;
      listeners.clear();
      known.clear();
    },
  };
}
