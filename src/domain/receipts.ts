/**
 * Read receipts (RFC 8098) in the webmail. A professional who asks for one with
 * `Disposition-Notification-To` gets it when the citizen first opens the message: the citizen
 * is not asked and cannot decline (that is the service's promise to professionals). The receipt
 * is an ordinary message from the citizen and takes the reply-only rule like any other, so a
 * header naming a third party (another citizen, a professional who never wrote) sends nothing.
 */
import type { MailboxKind } from './mailbox.js';

export interface ReceiptFacts {
  /** who reads: only citizens send receipts without being asked; professionals' clients ask them */
  reader: MailboxKind;
  /** the addresses of Disposition-Notification-To, in order */
  requestedBy: string[];
  /** the message is itself a report (a receipt, a bounce): never answered with a receipt (RFC 8098 §2.1) */
  isReport: boolean;
  /** the message was received (INBOX or a folder of received mail), not one the reader sent */
  received: boolean;
}

/** The address the receipt goes to, or undefined when none is due. */
export function receiptRecipient(facts: ReceiptFacts): string | undefined {
  if (facts.reader !== 'CITIZEN' || facts.isReport || !facts.received) return undefined;
  // RFC 8098 §2.1: several addresses may be named; the first is the one that asked.
  return facts.requestedBy[0];
}
