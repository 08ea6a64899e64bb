/**
 * A stored message as people read it, from its MIME index (never parsing the message again):
 * the text and HTML bodies, and the attachments numbered as the API numbers them. A part's
 * bytes are a range of the stored file, decoded here.
 */
import { decodeCharset } from '../mime/charset.js';
import { decodeWords, headerText, paramValue, parseHeaderFields, type HeaderField } from '../mime/header.js';
import { decodeTransfer } from '../mime/transfer.js';
import type { MimeIndex, MimePart } from '../mime/types.js';
import type { BlobStore } from '../store/types.js';

export interface AttachmentRef {
  /** the n of /api/messages/:id/attachments/:n: order in the message, depth first */
  index: number;
  name: string;
  /** type/subtype, lower-cased */
  type: string;
  /**
   * bytes once decoded, estimated from the stored length alone (padding and the break after the
   * last line unknown): `partSize` gives the exact number the API shows
   */
  size: number;
  /** a CDA document: bare XML whose root may be a ClinicalDocument, or an IHE XDM zip */
  isCda: boolean;
  part: MimePart;
}

export interface Bodies {
  text?: MimePart;
  html?: MimePart;
}

const fileName = (part: MimePart) =>
  (part.disposition && paramValue(part.disposition.params, 'filename')) ?? paramValue(part.params, 'name');

/** The leaves in reading order; a forwarded message (message/rfc822) is one attachment. */
function leaves(part: MimePart, out: MimePart[] = []): MimePart[] {
  if (part.parts) for (const child of part.parts) leaves(child, out);
  else out.push(part);
  return out;
}

function isBody(part: MimePart): boolean {
  if (part.type !== 'text' || (part.subtype !== 'plain' && part.subtype !== 'html')) return false;
  if (part.disposition?.type === 'attachment') return false;
  return fileName(part) === undefined;
}

export function bodiesOf(mime: MimeIndex): Bodies {
  const bodies: Bodies = {};
  for (const leaf of leaves(mime.root)) {
    if (!isBody(leaf)) continue;
    if (leaf.subtype === 'plain') bodies.text ??= leaf;
    else bodies.html ??= leaf;
  }
  return bodies;
}

function decodedSize(part: MimePart): number {
  const stored = part.bodyEnd - part.bodyStart;
  if (part.encoding !== 'base64') return stored;
  // Line breaks (CRLF) carry nothing: one between each two lines, the last usually the boundary's.
  return Math.max(0, Math.floor(((stored - Math.max(0, part.bodyLines - 1) * 2) * 3) / 4));
}

/**
 * The exact size of a part once decoded, reading as little of it as possible. Base64 is counted
 * from its length: the stored file has CRLF line ends, the last line ends with one only when
 * the tail says so (the CRLF before a boundary belongs to the boundary), and the tail's `=` are
 * padding. (Counting every line as ended by a CRLF, and the padding as data, made every size
 * of the API wrong by one to four bytes.) Anything irregular, and quoted-printable, is decoded.
 */
export async function partSize(blobs: BlobStore, blobId: string, part: MimePart): Promise<number> {
  const stored = part.bodyEnd - part.bodyStart;
  if (stored <= 0) return 0;
  if (part.encoding === 'base64') {
    const tail = (await blobs.read(blobId, { start: Math.max(part.bodyStart, part.bodyEnd - 80), end: part.bodyEnd })).toString('latin1');
    const breaks = part.bodyLines - (tail.endsWith('\r\n') ? 0 : 1);
    const characters = stored - 2 * breaks;
    const data = tail.replace(/[\r\n]+$/, '');
    const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
    // Regular base64 (CRLF lines of the alphabet, padded to a multiple of four): no need to read more.
    if (breaks >= 0 && characters % 4 === 0 && /^[A-Za-z0-9+/=\r\n]*$/.test(tail) && !/[^\r]\n/.test(tail)) {
      return (characters / 4) * 3 - padding;
    }
  } else if (part.encoding !== 'quoted-printable') {
    return stored;
  }
  return (await decodedPart(blobs, blobId, part)).length;
}

const CDA_NAME = /\.xml$/i;
const XDM_NAME = /\.zip$/i;

export function attachmentsOf(mime: MimeIndex): AttachmentRef[] {
  const found: AttachmentRef[] = [];
  for (const leaf of leaves(mime.root)) {
    if (isBody(leaf) || (leaf.bodyEnd <= leaf.bodyStart && leaf.type === 'text')) continue;
    const type = `${leaf.type}/${leaf.subtype}`;
    const raw = fileName(leaf);
    const name = raw ? decodeWords(raw).replace(/[\\/]/g, '_') : leaf.type === 'message' ? 'message.eml' : `piece-jointe-${found.length + 1}`;
    const xml = leaf.subtype === 'xml' || leaf.subtype.endsWith('+xml') || CDA_NAME.test(name);
    const zip = leaf.subtype === 'zip' || leaf.subtype === 'x-zip-compressed' || XDM_NAME.test(name);
    found.push({ index: found.length, name, type, size: decodedSize(leaf), isCda: xml || zip, part: leaf });
  }
  return found;
}

/** The decoded bytes of a part. */
export async function decodedPart(blobs: BlobStore, blobId: string, part: MimePart): Promise<Buffer> {
  const raw = await blobs.read(blobId, { start: part.bodyStart, end: part.bodyEnd });
  return decodeTransfer(raw, part.encoding);
}

/** A text part as a string, in its declared charset; at most `maxBytes` of it are read. */
export async function partText(blobs: BlobStore, blobId: string, part: MimePart, maxBytes = 2 * 1024 * 1024): Promise<string> {
  const bounded = { ...part, bodyEnd: Math.min(part.bodyEnd, part.bodyStart + maxBytes) };
  return decodeCharset(await decodedPart(blobs, blobId, bounded), paramValue(part.params, 'charset'));
}

/** The message's own header fields (its top-level header block, read from the stored file). */
export async function messageHeader(blobs: BlobStore, blobId: string, mime: MimeIndex): Promise<HeaderField[]> {
  return parseHeaderFields(headerText(await blobs.read(blobId, { start: mime.root.headerStart, end: mime.root.bodyStart })));
}
