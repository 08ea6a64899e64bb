/**
 * Who may write to whom: the rules of the trust space and the reply-only rule for citizens.
 * Pure decisions over facts the pipeline gathers; nothing here knows SMTP, HTTP or SQL.
 *
 * A recipient is decided in two steps. From the envelope alone (`decideRecipient`), which is
 * what an SMTP server knows at RCPT TO; some answers then depend on the content
 * (`decideContent`): a citizen writing to a pharmacy must attach a prescription, and a citizen's
 * reply must not fall in a conversation the professional closed.
 */
import { refusal, type Refusal } from './refusals.js';
import type { MailboxState } from './mailbox.js';

/** The door a message came through. */
export type Origin = 'smtp-mx' | 'submission' | 'webmail';

export type Party =
  | { role: 'citizen'; address: string; ins: string }
  | { role: 'professional'; address: string; pharmacy: boolean };

/** Where an address lives, as far as the rules care. */
export type Place =
  /** hosted here: a citizen's mailbox or one in a local professional domain */
  | { where: 'local'; state: MailboxState | 'missing' }
  /** a domain of another operator of the trust space */
  | { where: 'trusted' }
  /** anywhere else */
  | { where: 'outside' };

export interface SenderFacts {
  origin: Origin;
  party: Party;
  place: Place;
  /** the mailbox the session logged in as (submission, webmail); none on the MX door */
  authenticatedAs?: string;
}

export interface RecipientFacts {
  party: Party;
  place: Place;
}

/** What the sender's history with this recipient says (only asked for citizen → professional). */
export interface History {
  /** the professional wrote to this citizen before (directly or named in a Reply-To) */
  professionalHasWritten: boolean;
}

/** A condition that only the content can settle. */
export type Condition = 'prescription' | 'open-conversation';

export type RecipientDecision = { accepted: true; conditions: Condition[] } | { accepted: false; refusal: Refusal };

export interface ContentFacts {
  /** at least one prescription document is attached */
  hasPrescription: boolean;
  /** the message answers a conversation, and whether the professional closed it */
  conversation?: { closed: boolean };
}

const accept = (...conditions: Condition[]): RecipientDecision => ({ accepted: true, conditions });
const reject = (r: Refusal): RecipientDecision => ({ accepted: false, refusal: r });

/** Rules 1 and 7: the sender must be in the trust space and must not borrow a local address. */
export function decideSender(sender: SenderFacts): Refusal | undefined {
  const { origin, place, party } = sender;
  if (origin === 'smtp-mx') {
    // Another operator never speaks for our own domains: that would be spoofing.
    if (place.where === 'local') return refusal('SPOOFED_SENDER', `${party.address} is a local address`);
    if (place.where !== 'trusted') return refusal('SENDER_NOT_TRUSTED', `${party.address}`);
    return undefined;
  }
  if (!sender.authenticatedAs || sender.authenticatedAs !== party.address) {
    return refusal('SPOOFED_SENDER', `${party.address} is not ${sender.authenticatedAs ?? 'logged in'}`);
  }
  if (place.where !== 'local' || place.state !== 'open') {
    return refusal('MAILBOX_UNAVAILABLE', `the sending mailbox ${party.address} is not open`);
  }
  return undefined;
}

/** The author (From: header) must be the sender the envelope was checked for. */
export function decideAuthor(sender: SenderFacts, fromAddresses: string[], isLocal: (address: string) => boolean): Refusal | undefined {
  if (sender.origin === 'smtp-mx') {
    const local = fromAddresses.find(isLocal);
    return local ? refusal('SPOOFED_SENDER', `From: ${local} is a local address`) : undefined;
  }
  const other = fromAddresses.find((a) => a !== sender.authenticatedAs);
  if (other !== undefined || fromAddresses.length === 0) {
    return refusal('SPOOFED_SENDER', `From: ${other ?? '(missing)'} is not ${sender.authenticatedAs}`);
  }
  return undefined;
}

/** Rules 2 to 6 for one recipient, from the envelope. */
export function decideRecipient(sender: SenderFacts, recipient: RecipientFacts, history: () => History): RecipientDecision {
  const { place } = recipient;
  if (place.where === 'outside') return reject(refusal('RECIPIENT_NOT_TRUSTED', recipient.party.address));
  if (place.where === 'trusted' && sender.origin === 'smtp-mx') {
    // No open relay: another operator delivers to its own recipients itself.
    return reject(refusal('RELAY_DENIED', recipient.party.address));
  }
  if (place.where === 'local' && place.state !== 'open') {
    return reject(refusal('MAILBOX_UNAVAILABLE', recipient.party.address));
  }

  if (sender.party.role === 'professional') return accept(); // rules 2 and 3
  if (recipient.party.role === 'citizen') return reject(refusal('CITIZEN_TO_CITIZEN', recipient.party.address)); // rule 4

  // A citizen writing to a professional (rules 5 and 6).
  if (history().professionalHasWritten) return accept('open-conversation');
  if (recipient.party.pharmacy) return accept('prescription');
  return reject(refusal('NO_PRIOR_CONTACT', recipient.party.address));
}

/** Settles the conditions left by `decideRecipient` once the content is known. */
export function decideContent(conditions: Condition[], content: ContentFacts, recipient: string): Refusal | undefined {
  for (const condition of conditions) {
    if (condition === 'prescription' && !content.hasPrescription) {
      return refusal('PHARMACY_NEEDS_PRESCRIPTION', recipient);
    }
    if (condition === 'open-conversation' && content.conversation?.closed) {
      return refusal('CONVERSATION_CLOSED', recipient);
    }
  }
  return undefined;
}
