/**
 * Queue rows that can share one SMTP transaction: the same message (blob), sender, envelope id
 * and destination domain, at most `maxRecipients` at a time, each recipient once. One
 * transaction with several RCPT TO sends the body once instead of once per recipient.
 */
import type { QueuedRelay } from '../store/types.js';

export interface Transaction {
  domain: string;
  blobId: string;
  sender: string;
  envelopeId: string | null;
  rows: QueuedRelay[];
}

export function groupTransactions(rows: QueuedRelay[], maxRecipients: number): Transaction[] {
  const open = new Map<string, Transaction>();
  const all: Transaction[] = [];
  for (const row of rows) {
    const key = JSON.stringify([row.blobId, row.sender, row.domain, row.envelopeId]);
    let group = open.get(key);
    const duplicate = group?.rows.some((r) => r.recipient.toLowerCase() === row.recipient.toLowerCase());
    if (!group || duplicate || group.rows.length >= maxRecipients) {
      group = { domain: row.domain, blobId: row.blobId, sender: row.sender, envelopeId: row.envelopeId, rows: [] };
      open.set(key, group);
      all.push(group);
    }
    group.rows.push(row);
  }
  return all;
}
