import { describe, expect, it } from 'vitest';
import { receiptRecipient, type ReceiptFacts } from '../../src/domain/receipts.js';

const asked: ReceiptFacts = { reader: 'CITIZEN', requestedBy: ['dr.martin@hopital.mssante.fr', 'secretariat@hopital.mssante.fr'], isReport: false, received: true };

describe('read receipts (RFC 8098) in the webmail', () => {
  it('are due to the first address that asked when a citizen opens a received message', () => {
    expect(receiptRecipient(asked)).toBe('dr.martin@hopital.mssante.fr');
  });
  it('are not due when nobody asked, for a report, for the reader’s own sent mail', () => {
    expect(receiptRecipient({ ...asked, requestedBy: [] })).toBeUndefined();
    expect(receiptRecipient({ ...asked, isReport: true })).toBeUndefined();
    expect(receiptRecipient({ ...asked, received: false })).toBeUndefined();
  });
  it('are left to professionals’ own choice (their mail client asks them)', () => {
    for (const reader of ['PER', 'ORG', 'APP'] as const) expect(receiptRecipient({ ...asked, reader })).toBeUndefined();
  });
});
