/**
 * The way a message body comes in, whatever the door: it streams through the size and header
 * gates to its file on disk, indexed (MIME structure with offsets) on the way, and to the
 * parser at the same time; nothing reads it twice. Every limit is checked while it streams, so
 * that an oversized or absurd message is answered as soon as its data has arrived, with a
 * permanent refusal that says which limit: such a message never succeeds on a retry.
 */
import type { Readable, Writable } from 'node:stream';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline as pump } from 'node:stream/promises';
import type { Config } from '../config.js';
import { refusal, tooLarge, type Refusal } from '../domain/refusals.js';
import { CrlfNormaliser } from '../mime/crlf.js';
import { MimeIndexer } from '../mime/indexer.js';
import type { MimeIndex } from '../mime/types.js';
import { readContent, type MessageContent } from './content.js';
import { HeaderGate, type MissingField } from './header-gate.js';
import { ParserBranch } from './parser-branch.js';

export interface IngestOptions {
  limits: Config['limits'];
  /** written before the message (the Received: trace header), indexed with it */
  trace: string;
  /** header fields to add when the message lacks them */
  complete?: readonly MissingField[];
}

export type Ingested = { refusal: Refusal } | { mime: MimeIndex; content: MessageContent };

/** Passes the stored bytes on unchanged and indexes their MIME structure on the way. */
class IndexingTap extends Transform {
  constructor(
    private readonly indexer: MimeIndexer,
    private readonly onFailure: () => void,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const failed = this.indexer.error;
    this.indexer.write(chunk);
    if (!failed && this.indexer.error) this.onFailure();
    done(null, chunk);
  }
}

/** Counts the bytes going through and stops passing them on past the limit (the rest is drained). */
class SizeGate extends Transform {
  bytes = 0;
  constructor(private readonly limit: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes <= this.limit) this.push(chunk);
    done();
  }
}

/** Streams `data` into `file`; resolves once the file has it all, with the index and content or the refusal. */
export async function ingest(data: Readable, file: Writable, options: IngestOptions): Promise<Ingested> {
  const { limits } = options;
  const size = new SizeGate(limits.maxMessageBytes);
  const header = new HeaderGate({ maxBytes: limits.maxHeaderBytes, maxLineBytes: limits.maxHeaderLineBytes }, options.complete);
  const indexer = new MimeIndexer({
    maxDepth: limits.maxMimeDepth,
    maxParts: limits.maxMimeParts,
    maxHeaderBytes: limits.maxHeaderBytes,
    maxHeaderFields: limits.maxHeaderFields,
  });
  // Once the structure is known to be refused, what the parser would say no longer matters.
  const parser = new ParserBranch(header, readContent);
  const tap = new IndexingTap(indexer, () => parser.stop());
  tap.write(options.trace);
  try {
    await pump(data, size, header, new CrlfNormaliser(), tap, file);
  } catch (err) {
    parser.stop();
    throw err;
  }

  const refused = limitRefusal(size, header, indexer, limits);
  if (refused) {
    parser.stop();
    return { refusal: refused };
  }
  const mime = indexer.end();
  const parsed = await parser.result;
  if (!parsed.ok) return { refusal: refusal('UNREADABLE_MESSAGE', parsed.error.message) };
  return { mime, content: parsed.value };
}

/** The first limit the message crossed, in the order a sender would fix them. */
function limitRefusal(size: SizeGate, header: HeaderGate, indexer: MimeIndexer, limits: Config['limits']): Refusal | undefined {
  if (size.bytes > limits.maxMessageBytes) {
    return tooLarge('message', `the message has ${size.bytes} bytes; the limit is ${limits.maxMessageBytes}`);
  }
  if (header.problem) return tooLarge('header', header.problem.message);
  const error = indexer.error;
  if (!error) return undefined;
  return error.check === 'MIME_HEADER_SIZE' ? tooLarge('header', error.message) : refusal('INVALID_STRUCTURE', `${error.message} [${error.check}]`);
}

/** Date: and Message-ID: as a submission server adds them (RFC 6409 §8); the id is the stored message's. */
export function submissionFields(id: string, hostname: string): MissingField[] {
  return [
    { name: 'Date', value: () => new Date().toUTCString().replace('GMT', '+0000') },
    { name: 'Message-ID', value: () => `<${id}@${hostname}>` },
  ];
}
