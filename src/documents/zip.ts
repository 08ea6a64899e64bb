/**
 * Safe zip reading from a Buffer. The central directory is the sender's claim: names are checked
 * before anything is read, and the sizes it declares must keep within the bounds (count, size per
 * entry and in total, compression ratio). Every entry is then inflated as a stream whose bytes
 * are counted: one byte more than declared stops the inflation at once, so a zip bomb costs at
 * most the bounds, whatever it claims and whatever it would inflate to. The message's budget
 * (budget.ts) is charged on the way, so many zips cannot add up what one may not.
 */
import type { Readable } from 'node:stream';
import { crc32, createInflateRaw } from 'node:zlib';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { UNBOUNDED, type CheckBudget } from './budget.js';
import type { DocumentLimits } from './limits.js';
import { DocumentProblem, invalid, quote, sanitize } from './problem.js';

export interface ZipFileEntry {
  /** the entry's path, as checked (forward slashes, no '..', relative) */
  name: string;
  content: Buffer;
}

type ZipLimits = Pick<DocumentLimits, 'maxZipEntries' | 'maxEntryBytes' | 'maxTotalUncompressedBytes' | 'maxCompressionRatio'>;
type Budget = Pick<CheckBudget, 'chargeEntries' | 'chargeInflated' | 'checkTime'>;

/**
 * Small entries compress far beyond any sane ratio (a page of spaces, an empty template), and a
 * bomb needs size to hurt, so the ratio bound only applies past this many uncompressed bytes.
 */
export const RATIO_FLOOR_BYTES = 1024 * 1024;

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const STORED = 0;
const DEFLATED = 8;

interface CheckedEntry {
  entry: Entry;
  name: string;
  isDirectory: boolean;
}

/** Why a name is unsafe to use as a path, or undefined when it is fine. */
function checkName(name: string): DocumentProblem | undefined {
  if (name === '') return invalid('ZIP_PATH', 'an entry has an empty name');
  // Windows separators would let "..\\x" or "C:\\x" escape once extracted on Windows.
  if (name.includes('\\')) return invalid('ZIP_PATH', 'the path has a backslash (a Windows path separator)', name);
  if (/[\u0000-\u001f\u007f]/.test(name)) return invalid('ZIP_PATH', 'the name has control characters', name);
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return invalid('ZIP_ABSOLUTE_PATH', 'the path is absolute', name);
  const segments = name.replace(/\/$/, '').split('/');
  if (segments.includes('..')) return invalid('ZIP_SLIP', 'the path leads outside the archive (zip-slip)', name);
  if (segments.some((segment) => segment === '' || segment === '.')) {
    return invalid('ZIP_PATH', 'the path has an empty or "." segment', name);
  }
  return undefined;
}

/** A library's error message, made safe to quote in a refusal. */
function describe(error: unknown): string {
  return sanitize(error instanceof Error ? error.message : String(error), 200);
}

async function openZip(content: Buffer): Promise<ZipFile> {
  try {
    // decodeStrings off: names are decoded and checked here, with precise messages, instead of
    // yauzl silently turning backslashes into slashes. validateEntrySizes off: the byte counting
    // below does it, and says which bound was crossed.
    return await yauzl.fromBufferPromise(content, {
      lazyEntries: true,
      autoClose: false,
      decodeStrings: false,
      validateEntrySizes: false,
    });
  } catch (error) {
    throw invalid('ZIP_FORMAT', `not a readable zip archive (${describe(error)})`);
  }
}

/** Reads and checks the central directory: names, kinds and declared sizes, before any data. */
async function readDirectory(zip: ZipFile, limits: ZipLimits, budget: Budget): Promise<CheckedEntry[]> {
  if (zip.entryCount > limits.maxZipEntries) {
    throw invalid('ZIP_ENTRY_COUNT', `the archive has ${zip.entryCount} entries, more than the ${limits.maxZipEntries} allowed`);
  }
  budget.chargeEntries(zip.entryCount);
  const checked: CheckedEntry[] = [];
  const seen = new Set<string>();
  let declaredTotal = 0;
  try {
    for await (const entry of zip.eachEntry()) {
      const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, true);
      const problem = checkName(name);
      if (problem) throw problem;
      // Case-insensitive, normalised: two spellings of one path are ambiguous on most systems
      // and the XDM layout is matched without case.
      const key = name.normalize('NFC').toLowerCase();
      if (seen.has(key)) throw invalid('ZIP_DUPLICATE_NAME', 'the name appears more than once in the archive (compared without case)', name);
      seen.add(key);

      const mode = (entry.externalFileAttributes >>> 16) & S_IFMT;
      if (mode === S_IFLNK) throw invalid('ZIP_SYMLINK', 'the entry is a symbolic link', name);
      if (entry.isEncrypted()) throw invalid('ZIP_ENCRYPTED', 'the entry is encrypted', name);
      if (entry.compressionMethod !== STORED && entry.compressionMethod !== DEFLATED) {
        throw invalid('ZIP_COMPRESSION_METHOD', `compression method ${entry.compressionMethod} is not accepted (only stored and deflate)`, name);
      }
      const isDirectory = name.endsWith('/');
      if (isDirectory && entry.uncompressedSize !== 0) {
        throw invalid('ZIP_PATH', 'a folder entry has content', name);
      }
      if (entry.uncompressedSize > limits.maxEntryBytes) {
        throw invalid('ZIP_ENTRY_SIZE', `the entry declares ${entry.uncompressedSize} bytes uncompressed, more than the ${limits.maxEntryBytes} allowed`, name);
      }
      declaredTotal += entry.uncompressedSize;
      if (declaredTotal > limits.maxTotalUncompressedBytes) {
        throw invalid('ZIP_TOTAL_SIZE', `the entries declare more than the ${limits.maxTotalUncompressedBytes} uncompressed bytes allowed in total`);
      }
      if (entry.uncompressedSize > RATIO_FLOOR_BYTES && entry.uncompressedSize > limits.maxCompressionRatio * entry.compressedSize) {
        throw invalid('ZIP_COMPRESSION_RATIO', `the entry declares a compression ratio over ${limits.maxCompressionRatio}:1 (${entry.uncompressedSize} bytes from ${entry.compressedSize}; a zip bomb)`, name);
      }
      budget.chargeInflated(entry.uncompressedSize, name);
      checked.push({ entry, name, isDirectory });
    }
  } catch (error) {
    if (error instanceof DocumentProblem) throw error;
    throw invalid('ZIP_FORMAT', `the archive's central directory is unreadable (${describe(error)})`);
  }
  return checked;
}

/**
 * Entries whose data overlap are how "non-recursive" zip bombs multiply one compressed stream
 * into many files; honest archives never do it.
 */
async function checkNoOverlap(zip: ZipFile, entries: CheckedEntry[]): Promise<void> {
  const spans: { name: string; start: number; end: number }[] = [];
  for (const { entry, name } of entries) {
    let dataStart: number;
    try {
      ({ fileDataStart: dataStart } = await zip.readLocalFileHeaderPromise(entry, { minimal: true }));
    } catch (error) {
      throw invalid('ZIP_FORMAT', `the entry has an unreadable local header (${describe(error)})`, name);
    }
    spans.push({ name, start: entry.relativeOffsetOfLocalHeader, end: dataStart + entry.compressedSize });
  }
  spans.sort((a, b) => a.start - b.start);
  for (let i = 1; i < spans.length; i++) {
    const previous = spans[i - 1]!;
    const current = spans[i]!;
    if (current.start < previous.end) {
      throw invalid('ZIP_OVERLAP', `the entry shares its data with entry ${quote(previous.name)} (overlapping entries, a zip bomb technique)`, current.name);
    }
  }
}

/** Bigger than zlib's 16 KiB default: fewer chunks to count, about twice as fast on large entries. */
const INFLATE_CHUNK = 128 * 1024;

/**
 * The entry's bytes as a stream. Inflated here rather than by yauzl, so that a refusal can tear
 * down both the raw and the inflating stream at once.
 */
async function openEntry(zip: ZipFile, { entry, name }: CheckedEntry): Promise<{ stream: Readable; close: () => void }> {
  let raw: Readable;
  try {
    raw = await zip.openReadStreamPromise(entry, { decodeFileData: false });
  } catch (error) {
    throw invalid('ZIP_FORMAT', `the entry cannot be read (${describe(error)})`, name);
  }
  if (entry.compressionMethod === STORED) return { stream: raw, close: () => raw.destroy() };
  const inflater = createInflateRaw({ chunkSize: INFLATE_CHUNK });
  raw.on('error', (error) => inflater.destroy(error));
  raw.pipe(inflater);
  return {
    stream: inflater,
    close: () => {
      raw.unpipe(inflater);
      raw.destroy();
      inflater.destroy();
    },
  };
}

/**
 * Inflates one entry, counting as it streams. The declared size already passed the bounds, so
 * refusing the first byte beyond it is enough to keep every bound — whatever the archive claims.
 */
async function readEntry(zip: ZipFile, checked: CheckedEntry, budget: Budget): Promise<Buffer> {
  const { entry, name } = checked;
  const { stream, close } = await openEntry(zip, checked);
  const chunks: Buffer[] = [];
  let length = 0;
  let crc = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      length += chunk.length;
      if (length > entry.uncompressedSize) {
        throw invalid('ZIP_DECLARED_SIZE', `the entry inflates to more than the ${entry.uncompressedSize} bytes it declares (a zip bomb technique)`, name);
      }
      crc = crc32(chunk, crc);
      chunks.push(chunk);
      budget.checkTime(name);
    }
  } catch (error) {
    if (error instanceof DocumentProblem) throw error;
    throw invalid('ZIP_FORMAT', `the entry has corrupt compressed data (${describe(error)})`, name);
  } finally {
    close();
  }
  if (length !== entry.uncompressedSize) {
    throw invalid('ZIP_DECLARED_SIZE', `the entry has ${length} bytes, not the ${entry.uncompressedSize} it declares`, name);
  }
  // yauzl does not check CRCs: a mismatch means corruption or tampering after the archive was made.
  if (crc >>> 0 !== entry.crc32 >>> 0) {
    throw invalid('ZIP_CRC', 'the entry fails its CRC-32 check (the archive is corrupt or was altered)', name);
  }
  return Buffer.concat(chunks, length);
}

/**
 * All the files of a zip (folders are checked, not returned), in central-directory order.
 * Throws a DocumentProblem naming the entry and the bound or rule it breaks.
 */
export async function readZip(content: Buffer, limits: ZipLimits, budget: Budget = UNBOUNDED): Promise<ZipFileEntry[]> {
  const zip = await openZip(content);
  try {
    const entries = await readDirectory(zip, limits, budget);
    const files = entries.filter((entry) => !entry.isDirectory);
    await checkNoOverlap(zip, files);
    const result: ZipFileEntry[] = [];
    for (const file of files) result.push({ name: file.name, content: await readEntry(zip, file, budget) });
    return result;
  } finally {
    zip.close();
  }
}
