/**
 * Message bodies as files under <data>/blobs/<hour>/<id>, the id starting with the hour it was
 * created in (hex). A message is streamed into its file as it arrives; once accepted, the file
 * and its folder entry are fsynced before the database row that points at it is committed, so
 * a committed row never points at a lost body. A body whose transaction never committed is an
 * orphan that `sweepOrphans` removes later.
 *
 * Files of the same hour share a folder so that concurrent deliveries share one folder fsync
 * (see `coalesced`), and old folders empty themselves as retention deletes their messages.
 */
import { randomBytes } from 'node:crypto';
import { close as closeFd, closeSync, createReadStream, open as openFd, openSync, read as readFd, readSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rmdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { BlobDraft, BlobReader, BlobStore } from '../types.js';

/**
 * Writes into an open file handle and leaves it open when the stream ends, so that persist()
 * can fsync the same descriptor (an fs.WriteStream with autoClose off never signals its end
 * to stream.pipeline).
 */
class HandleWriter extends Writable {
  bytesWritten = 0;
  constructor(private readonly handle: FileHandle) {
    super({ highWaterMark: 256 * 1024 });
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.handle.write(chunk).then(({ bytesWritten }) => {
      this.bytesWritten += bytesWritten;
      done();
    }, done);
  }
  override _writev(chunks: Array<{ chunk: Buffer }>, done: (err?: Error | null) => void): void {
    this.handle.writev(chunks.map((c) => c.chunk)).then(({ bytesWritten }) => {
      this.bytesWritten += bytesWritten;
      done();
    }, done);
  }
}

const ID = /^[0-9a-f]{32}$/;
const SHARD = 6;

function endStream(stream: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    if (stream.writableFinished || stream.destroyed) return resolve();
    stream.once('error', reject);
    stream.end(() => resolve());
  });
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Runs `task(key)` for every caller, but callers that arrive while one runs share the next run:
 * a folder fsync that started before a file was created may not cover it, one that starts
 * after does, for all the files created meanwhile.
 */
function coalesced(task: (key: string) => Promise<void>): (key: string) => Promise<void> {
  const waiting = new Map<string, Array<{ resolve: () => void; reject: (e: unknown) => void }>>();
  const running = new Set<string>();
  async function drain(key: string): Promise<void> {
    running.add(key);
    for (let batch = waiting.get(key); batch?.length; batch = waiting.get(key)) {
      waiting.set(key, []);
      try {
        await task(key);
        for (const w of batch) w.resolve();
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    running.delete(key);
    waiting.delete(key);
  }
  return (key) =>
    new Promise((resolve, reject) => {
      const list = waiting.get(key) ?? [];
      list.push({ resolve, reject });
      waiting.set(key, list);
      if (!running.has(key)) void drain(key);
    });
}

/** A body being written to its file; the path and handle stay inside this module. */
class FileDraft implements BlobDraft {
  readonly stream: HandleWriter;
  constructor(
    readonly id: string,
    readonly path: string,
    readonly handle: FileHandle,
  ) {
    this.stream = new HandleWriter(handle);
  }
  get size(): number {
    return this.stream.bytesWritten;
  }
  async read(start: number, end: number): Promise<Buffer> {
    const length = Math.max(0, Math.min(end, this.size) - start);
    const buffer = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(buffer, done, length - done, start + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return buffer.subarray(0, done);
  }
}

/**
 * How an opened body is read. A read served by the page cache takes microseconds when done in
 * place, while a trip through libuv's thread pool costs two thread switches: measured here on a
 * FETCH of a whole mailbox, a third of the server's CPU. But a read that has to wait for the
 * disk (or a network file system) would stall every session of the process while it waits, so
 * one such read sends this process's reads through the pool for a while, then it tries again.
 */
const SLOW_MS = 8;
const POOL_FOR_MS = 30_000;
let poolUntil = 0;

/** runs a file call in place, timed; a slow one sends the next ones to the pool */
function inPlace<T>(call: () => T): T {
  const start = performance.now();
  try {
    return call();
  } finally {
    if (performance.now() - start > SLOW_MS) poolUntil = Date.now() + POOL_FOR_MS;
  }
}

const pooled = (): boolean => Date.now() < poolUntil;

/** The callback API, not FileHandle: no handle object to finalise per message. */
function openReader(file: string): Promise<BlobReader> {
  return new Promise((resolve, reject) => {
    const opened = (fd: number) => {
      let closed = false;
      resolve({
        read: (into, offset, length, position) =>
          new Promise((done, fail) => {
            if (closed) return fail(new Error('blob reader closed'));
            if (!pooled()) {
              try {
                return done(inPlace(() => readSync(fd, into, offset, length, position)));
              } catch (err) {
                return fail(err);
              }
            }
            readFd(fd, into, offset, length, position, (e, n) => (e ? fail(e) : done(n)));
          }),
        close: () =>
          new Promise((done) => {
            if (closed) return done();
            closed = true;
            if (!pooled()) {
              inPlace(() => closeSync(fd));
              return done();
            }
            closeFd(fd, () => done());
          }),
      });
    };
    if (!pooled()) {
      let fd: number;
      try {
        fd = inPlace(() => openSync(file, 'r'));
      } catch (err) {
        return reject(err);
      }
      return opened(fd);
    }
    openFd(file, 'r', (err, fd) => (err ? reject(err) : opened(fd)));
  });
}

function fileDraft(draft: BlobDraft): FileDraft {
  if (!(draft instanceof FileDraft)) throw new Error('not a draft of this blob store');
  return draft;
}

/** A new id: the current hour in hex (6 digits), then 26 random hex digits. */
function newId(): string {
  const hour = Math.floor(Date.now() / 3_600_000).toString(16).padStart(SHARD, '0');
  return hour + randomBytes(13).toString('hex');
}

export function fsBlobStore(dataDir: string): BlobStore {
  const root = path.join(dataDir, 'blobs');
  const shards = new Set<string>();
  const syncDir = coalesced(fsyncDir);
  const pathOf = (id: string): string => {
    if (!ID.test(id)) throw new Error(`not a blob id: ${id}`);
    return path.join(root, id.slice(0, SHARD), id);
  };

  const store: BlobStore = {
    async create() {
      const id = newId();
      const shard = path.join(root, id.slice(0, SHARD));
      if (!shards.has(shard)) {
        await mkdir(shard, { recursive: true, mode: 0o700 });
        shards.add(shard);
      }
      const file = path.join(shard, id);
      // Read as well as write: the checks read parts of a message before it is kept.
      const handle = await open(file, 'wx+', 0o600);
      return new FileDraft(id, file, handle);
    },
    async persist(given) {
      const draft = fileDraft(given);
      await endStream(draft.stream);
      try {
        await draft.handle.sync();
      } finally {
        await draft.handle.close();
      }
      await syncDir(path.dirname(draft.path));
      return draft.stream.bytesWritten;
    },
    async discard(given) {
      const draft = fileDraft(given);
      await endStream(draft.stream).catch(() => undefined);
      await draft.handle.close().catch(() => undefined);
      await unlink(draft.path).catch(() => undefined);
    },
    async put(content) {
      const draft = await store.create();
      try {
        draft.stream.end(content);
        return { id: draft.id, size: await store.persist(draft) };
      } catch (err) {
        await store.discard(draft);
        throw err;
      }
    },
    async read(id, range) {
      if (!range) return readFile(pathOf(id));
      const handle = await open(pathOf(id), 'r');
      try {
        const length = Math.max(0, range.end - range.start);
        const buffer = Buffer.alloc(length);
        const { bytesRead } = await handle.read(buffer, 0, length, range.start);
        return buffer.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    },
    stream(id, range) {
      // createReadStream's end is inclusive; ours is exclusive. An empty range reads nothing.
      if (range && range.end <= range.start) return createReadStream(pathOf(id), { start: 0, end: -1 });
      return createReadStream(pathOf(id), range && { start: range.start, end: range.end - 1, highWaterMark: 256 * 1024 });
    },
    open: async (id) => openReader(pathOf(id)),
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
        // An hour folder that retention has emptied goes too (fails harmlessly if not empty).
        if (dir < newId().slice(0, SHARD)) await rmdir(path.join(root, dir)).catch(() => undefined);
      }
      return removed;
    },
  };
  return store;
}
