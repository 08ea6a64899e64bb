/** The tricky messages of fixtures/imap, as the ingest stores them (CRLF) and indexes them. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { toCrlf } from '../../../src/mime/crlf.js';
import { indexMessage } from '../../../src/mime/indexer.js';
import type { MimeIndex } from '../../../src/mime/types.js';

const DIR = path.resolve(import.meta.dirname, '../../../fixtures/imap');

export interface Fixture {
  raw: Buffer;
  index: MimeIndex;
}

export function fixture(name: string): Fixture {
  const raw = toCrlf(readFileSync(path.join(DIR, `${name}.eml`)));
  return { raw, index: indexMessage(raw) };
}

/** text with LF line ends as CRLF bytes */
export const crlf = (text: string): Buffer => Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'utf8');
