import { describe, expect, it } from 'vitest';
import { decideReceipt, type ReceiptFacts } from '../../src/domain/receipts.js';

const asked: ReceiptFacts = { reader: 'CITIZEN', requestedBy: ['dr.martin@hopital.mssante.fr', 'secretariat@hopital.mssante.fr'], isReport: false, received: true, author: 'dr.martin@hopital.mssante.fr' };
const receiptRecipient = (facts: ReceiptFacts) => { const d = decideReceipt(facts); return d.due ? d.to : undefined; };

describe('read receipts (RFC 8098) in the webmail', () => {
  it('are due to the first address that asked when a citizen opens a received message', () => {
    expect(receiptRecipient(asked)).toBe('dr.martin@hopital.mssante.fr');
  });
  it('are not due when nobody asked, for a report, for the reader’s own sent mail', () => {
    expect(receiptRecipient({ ...asked, requestedBy: [] })).toBeUndefined();
    expect(receiptRecipient({ ...asked, isReport: true })).toBeUndefined();
    expect(receiptRecipient({ ...asked, received: false })).toBeUndefined();
  });
  it('go only to the author or their own organisation, never to a third party named in the header', () => {
    expect(receiptRecipient({ ...asked, requestedBy: ['secretariat@hopital.mssante.fr'] })).toBe('secretariat@hopital.mssante.fr');
    expect(decideReceipt({ ...asked, requestedBy: ['dr.who@ch-lyon.mssante.fr'] })).toEqual({ due: false, asked: true });
    expect(receiptRecipient({ ...asked, requestedBy: ['dr.who@ch-lyon.mssante.fr', 'dr.martin@hopital.mssante.fr'] })).toBe('dr.martin@hopital.mssante.fr');
    expect(decideReceipt({ ...asked, author: null })).toEqual({ due: false, asked: true });
  });
  it('are left to professionals’ own choice (their mail client asks them)', () => {
    for (const reader of ['PER', 'ORG', 'APP'] as const) expect(receiptRecipient({ ...asked, reader })).toBeUndefined();
  });
});
