/** Envelope addresses (mime/types.ts) as the API shows them: lower-cased `local@domain`, names decoded. */
import { decodeWords } from '../mime/header.js';
import type { EnvelopeAddress } from '../mime/types.js';

export function addressOf(a: EnvelopeAddress): string | null {
  return a.mailbox && a.host ? `${a.mailbox}@${a.host}`.toLowerCase() : null;
}

export const addresses = (list: EnvelopeAddress[]): string[] => list.map(addressOf).filter((a): a is string => a !== null);

export const firstName = (list: EnvelopeAddress[]): string | null => (list[0]?.name ? decodeWords(list[0].name) : null);
