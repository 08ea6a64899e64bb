/**
 * Read receipts (RFC 8098) in the webmail. A professional who asks for one with
 * `Disposition-Notification-To` gets it when the citizen first opens the message: the citizen
 * is not asked and cannot decline (that is the service's promise to professionals). The receipt
 * is an ordinary message from the citizen and takes the reply-only rule like any other. It goes
 * only to the author or their own organisation (RFC 8098 §2.1 asks for care when the address is
 * not the sender's): a header naming a colleague elsewhere must not tell them what she opened.
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
  /** the address of the message's From: */
  author: string | null;
}

export type ReceiptDecision =
  | { due: true; to: string }
  /** nobody asked, or a receipt is not this reader's to send */
  | { due: false; asked: false }
  /** asked, but for an address outside the author's organisation: nothing is sent */
  | { due: false; asked: true };

const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1);

export function decideReceipt(facts: ReceiptFacts): ReceiptDecision {
  if (facts.reader !== 'CITIZEN' || facts.isReport || !facts.received || facts.requestedBy.length === 0) return { due: false, asked: false };
  const author = facts.author;
  // RFC 8098 §2.1: several addresses may be named; the first the author may speak for is used.
  const to = author ? facts.requestedBy.find((a) => a === author || domainOf(a) === domainOf(author)) : undefined;
  return to ? { due: true, to } : { due: false, asked: true };
}
