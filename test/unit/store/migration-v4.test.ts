/** Upgrading a database written before the reading-shaped store keeps every message and its flags. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, MIGRATIONS } from '../../../src/store/sqlite/migrations.js';
import { openSqliteStore } from '../../../src/store/sqlite/index.js';

describe('migration 4 (reading)', () => {
  it('turns the flags text into columns and keywords, and starts \\Recent after existing mail', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mig-'));
    const db = new Database(path.join(dir, 'gateway.sqlite'));
    migrate(db, MIGRATIONS.filter((m) => m.version <= 3));
    db.prepare("INSERT INTO mailboxes (address, kind, state, created_at, state_at) VALUES ('dr.a@h.fr', 'PER', 'open', 0, 0)").run();
    db.exec(`INSERT INTO folders (mailbox_id, name, uid_validity, uid_next) VALUES (1, 'INBOX', 7, 3);
      INSERT INTO blobs (id, size, created_at) VALUES ('b1', 10, 0);
      INSERT INTO messages (folder_id, uid, blob_id, size, internal_date, flags) VALUES
        (1, 1, 'b1', 10, 0, '\\Seen $Label1 \\Flagged'), (1, 2, 'b1', 10, 0, '')`);
    db.close();

    const store = openSqliteStore(dir);
    try {
      const inbox = (await store.folders.byName(1, 'INBOX'))!;
      const [first, second] = await store.messages.fetch(1, inbox.id, [1, 2]);
      expect(first!.flags).toEqual(['\\Seen', '\\Flagged', '$Label1']);
      expect(second!.flags).toEqual([]);
      expect((await store.folders.status(1, inbox.id)).recent).toBe(0);
      // A new folder's UIDVALIDITY is above every one given before.
      expect((await store.folders.create(1, 'Archives')).uidValidity).toBeGreaterThan(7);
    } finally {
      await store.close();
    }
  });
});
