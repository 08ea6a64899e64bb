/**
 * Message bodies as files under <data>/blobs/<2 hex>/<id>. A message is streamed into its file
 * as it arrives; once accepted, the file and its folder entry are fsynced before the database
 * row that points at it is committed, so a committed row never points at a lost body. A body
 * whose transaction never committed is an orphan that `sweepOrphans` removes later.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';

export interface BlobDraft {
  id: string;
  path: string;
  stream: WriteStream;
}

export interface BlobStore {
  /** a new file, open for writing */
  create(): Promise<BlobDraft>;
  /** closes the draft and makes it durable (file and folder entry fsynced) */
  persist(draft: BlobDraft): Promise<number>;
  /** closes and deletes a draft that will not be kept */
  discard(draft: BlobDraft): Promise<void>;
  read(id: string): Promise<Buffer>;
  stream(id: string, range?: { start: number; end: number }): Readable;
  size(id: string): Promise<number>;
  remove(id: string): Promise<void>;
  /** removes files older than `olderThan` that `isKnown` does not claim */
  sweepOrphans(isKnown: (id: string) => Promise<boolean>, olderThan: Date): Promise<number>;
}

const ID = /^[0-9a-f]{32}$/;

function closeStream(stream: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => {
    if (stream.closed) return resolve();
    stream.once('error', reject);
    stream.end(() => resolve());
  });
}

async function fsyncPath(target: string, flags: string): Promise<void> {
  const handle = await open(target, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export function fsBlobStore(dataDir: string): BlobStore {
  const root = path.join(dataDir, 'blobs');
  const shards = new Set<string>();
  const pathOf = (id: string): string => {
    if (!ID.test(id)) throw new Error(`not a blob id: ${id}`);
    return path.join(root, id.slice(0, 2), id);
  };

  return {
    async create() {
      const id = randomBytes(16).toString('hex');
      const shard = path.join(root, id.slice(0, 2));
      if (!shards.has(shard)) {
        await mkdir(shard, { recursive: true, mode: 0o700 });
        shards.add(shard);
      }
      const file = path.join(shard, id);
      const stream = createWriteStream(file, { flags: 'wx', mode: 0o600 });
      return { id, path: file, stream };
    },
    async persist(draft) {
      await closeStream(draft.stream);
      await fsyncPath(draft.path, 'r');
      await fsyncPath(path.dirname(draft.path), 'r');
      return draft.stream.bytesWritten;
    },
    async discard(draft) {
      await closeStream(draft.stream).catch(() => undefined);
      await unlink(draft.path).catch(() => undefined);
    },
    read: (id) => readFile(pathOf(id)),
    stream: (id, range) => createReadStream(pathOf(id), range),
    size: async (id) => (await stat(pathOf(id))).size,
    async remove(id) {
      await unlink(pathOf(id)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    },
    async sweepOrphans(isKnown, olderThan) {
      let removed = 0;
      const dirs = await readdir(root).catch(() => [] as string[]);
      for (const dir of dirs) {
        for (const name of await readdir(path.join(root, dir)).catch(() => [] as string[])) {
          if (!ID.test(name)) continue;
          const file = path.join(root, dir, name);
          const info = await stat(file).catch(() => undefined);
          if (!info || info.mtime >= olderThan || (await isKnown(name))) continue;
          await unlink(file).catch(() => undefined);
          removed++;
        }
      }
      return removed;
    },
  };
}
