/**
 * The unstructured body of a level-1 CDA (component/nonXMLBody/text, an HL7 ED value): one of
 * the media types the CI-SIS allows, carried in base64 (or, for plain text, as the element's
 * text), and really of its declared type — complete, and nothing else at the same time.
 */
import { invalid, quote, type DocumentCheck } from './problem.js';
import { HIDDEN_NAMES, hiddenFormat, KIND_NAMES, sniff, type FileKind } from './sniff.js';
import { attribute, childNamed, type XmlElement } from './xml.js';

/** CI-SIS "structuration minimale": the media types of a nonXMLBody, and what the content must be. */
const MEDIA_TYPES: ReadonlyMap<string, { kind: FileKind; name: string }> = new Map([
  ['application/pdf', { kind: 'pdf', name: 'a PDF' }],
  ['image/jpeg', { kind: 'jpeg', name: 'a JPEG image' }],
  ['image/tiff', { kind: 'tiff', name: 'a TIFF image' }],
  ['text/plain', { kind: 'txt', name: 'plain text' }],
  ['text/rtf', { kind: 'rtf', name: 'an RTF document' }],
]);

/** How far from the end a trailer may sit (readers tolerate a little padding after it). */
const TRAILER_REACH = 1024;

/**
 * Base64 as CDA carries it: XML white space allowed, padding only at the end. Buffer.from silently
 * skips anything else, so it is refused here first. (No repeated regex group: on megabytes of
 * text a backtracking pattern would run out of stack.)
 */
function isBase64(text: string): boolean {
  if (/[^A-Za-z0-9+/=\t\n\r ]/.test(text) || !/[A-Za-z0-9+/]/.test(text)) return false;
  const padding = text.indexOf('=');
  return padding === -1 || /^[=\t\n\r ]*$/.test(text.slice(padding));
}

/** A TIFF's first image file directory lies inside the file and has entries (TIFF 6.0 §2). */
function tiffHasDirectory(content: Buffer): boolean {
  if (content.length < 8) return false;
  const little = content[0] === 0x49;
  const offset = little ? content.readUInt32LE(4) : content.readUInt32BE(4);
  if (offset < 8 || offset + 2 > content.length) return false;
  const entries = little ? content.readUInt16LE(offset) : content.readUInt16BE(offset);
  return entries > 0 && offset + 2 + entries * 12 + 4 <= content.length;
}

/** Why a file of the right kind is still not whole, or undefined when it is. */
function incompleteness(kind: FileKind, content: Buffer): string | undefined {
  const tail = content.subarray(-TRAILER_REACH);
  switch (kind) {
    case 'pdf':
      return tail.includes('%%EOF', 0, 'latin1') ? undefined : 'no %%EOF trailer: the PDF is truncated';
    case 'jpeg':
      return tail.includes(Buffer.from([0xff, 0xd9])) ? undefined : 'no end-of-image marker: the JPEG is truncated';
    case 'tiff':
      return tiffHasDirectory(content) ? undefined : 'its first image directory is missing or outside the file';
    case 'rtf':
      return /\}[\s\0]*$/.test(tail.toString('latin1')) ? undefined : 'the RTF group is not closed: the document is truncated';
    default:
      return undefined;
  }
}

function checkContent(content: Buffer, mediaType: string, expected: { kind: FileKind; name: string }): void {
  // A PDF body keeps its own check name: it is the one the record extracts and shows.
  const check: DocumentCheck = expected.kind === 'pdf' ? 'CDA_PDF' : 'CDA_BODY';
  if (content.length === 0) throw invalid(check, `the CDA nonXMLBody (${mediaType}) is empty`);
  const kind = sniff(content);
  if (kind !== expected.kind) {
    throw invalid(check, `the CDA nonXMLBody does not contain ${expected.name} (declared ${quote(mediaType)}, the content is ${KIND_NAMES[kind]})`);
  }
  // Before completeness: a big archive appended would otherwise read as a truncated file.
  const hidden = hiddenFormat(content, kind);
  if (hidden) {
    throw invalid(check, `the CDA nonXMLBody (${mediaType}) is also ${HIDDEN_NAMES[hidden]}: a file that is two formats at once is refused`);
  }
  const missing = incompleteness(kind, content);
  if (missing) throw invalid(check, `the CDA nonXMLBody does not contain ${expected.name} whole (declared ${quote(mediaType)}): ${missing}`);
}

/** Reads and checks component/nonXMLBody; the PDF is returned for the record to extract. */
export function readNonXmlBody(nonXmlBody: XmlElement): { body: 'N1'; pdf?: Buffer } {
  const text = childNamed(nonXmlBody, 'text');
  if (!text) throw invalid('CDA_BODY', 'the CDA nonXMLBody has no text element');
  // The HL7 ED defaults: plain text, written as text.
  const mediaType = (attribute(text, 'mediaType') ?? 'text/plain').trim().toLowerCase();
  const representation = attribute(text, 'representation')?.trim() ?? 'TXT';
  const expected = MEDIA_TYPES.get(mediaType);
  if (!expected) {
    throw invalid('CDA_BODY', `the CDA nonXMLBody mediaType ${quote(mediaType)} is not one the CI-SIS allows (${[...MEDIA_TYPES.keys()].join(', ')})`);
  }
  if (attribute(text, 'compression') !== undefined) {
    throw invalid('CDA_BODY', `the CDA nonXMLBody is compressed (compression=${quote(attribute(text, 'compression')!)}); the CI-SIS carries it uncompressed`);
  }
  if (representation === 'TXT') {
    if (expected.kind !== 'txt') {
      throw invalid('CDA_BODY', `the CDA nonXMLBody declares ${quote(mediaType)} with representation="TXT"; only text/plain may be written as text, the others need representation="B64"`);
    }
    if (!text.text.trim()) throw invalid('CDA_BODY', 'the CDA nonXMLBody (text/plain) is empty');
    return { body: 'N1' };
  }
  if (representation !== 'B64') {
    throw invalid('CDA_BODY', `the CDA nonXMLBody representation must be "B64" (or "TXT" for text/plain), not ${quote(representation)}`);
  }
  const check: DocumentCheck = expected.kind === 'pdf' ? 'CDA_PDF' : 'CDA_BODY';
  if (!isBase64(text.text)) throw invalid(check, 'the CDA nonXMLBody text is not valid base64');
  const content = Buffer.from(text.text, 'base64');
  checkContent(content, mediaType, expected);
  return expected.kind === 'pdf' ? { body: 'N1', pdf: content } : { body: 'N1' };
}
