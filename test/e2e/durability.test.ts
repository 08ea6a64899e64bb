/**
 * Nothing acknowledged is ever lost: messages answered 250 are still there, bodies intact, after
 * the server is killed with SIGKILL right after the answer.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer } from '../helpers/server.js';
import { COLLEAGUE, DOCTOR, startWorld, trySend, type World } from '../helpers/world.js';

let world: World;
afterAll(async () => {
  await world?.stop();
});

describe('durability', () => {
  it('keeps every acknowledged message through kill -9', async () => {
    world = await startWorld();
    const transport = world.submission();
    const sends = Array.from({ length: 20 }, (_, i) =>
      trySend(transport, { from: DOCTOR, to: COLLEAGUE, subject: `durable ${i}`, text: `corps ${i} `.repeat(2000) }),
    );
    // Kill as soon as the last answer is in: no grace for buffers to drain.
    const results = await Promise.all(sends);
    world.server.process.kill('SIGKILL');
    await new Promise((r) => world.server.process.once('exit', r));
    const accepted = results.filter((r) => r.ok).map((r) => /queued as ([0-9a-f]{32})/.exec(r.response)![1]!);
    expect(accepted).toHaveLength(20);

    world.server = await startServer(world.box);
    const db = world.db();
    const rows = db
      .prepare(`SELECT x.subject, x.blob_id FROM messages x JOIN folders f ON f.id = x.folder_id JOIN mailboxes m ON m.id = f.mailbox_id
        WHERE m.address = ? AND x.subject LIKE 'durable %'`)
      .all(COLLEAGUE) as Array<{ subject: string; blob_id: string }>;
    db.close();
    expect(rows.map((r) => r.blob_id).sort()).toEqual([...accepted].sort());
    for (const row of rows) {
      const file = path.join(world.box.dataDir, 'blobs', row.blob_id.slice(0, 6), row.blob_id);
      expect(existsSync(file)).toBe(true);
      const i = row.subject.split(' ')[1];
      expect(readFileSync(file, 'utf8')).toContain(`corps ${i} corps ${i}`);
    }
  });
});
