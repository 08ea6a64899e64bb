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
import { speaksFor, type PeerFacts } from './trust.js';

/** The door a message came through. */
export type Origin = 'mx' | 'submission' | 'webmail';

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
  /**
   * On the MX: the verified certificate of the peer operator, which bounds the domains it may
   * send from. Absent only when the operator opted out of client certificates.
   */
  peer?: PeerFacts;
}

/** The author of a message: its From: header fields, as every mail client reads them. */
export interface AuthorFacts {
  /** how many From: fields the header has (`From :` counts too) */
  fields: number;
  /**
   * the addresses of those fields, each with where it lives; `hostOfTrusted` when its domain is a
   * host directly under a trusted domain (the reporting MTA of another operator's bounce)
   */
  addresses: Array<{ address: string; where: Place['where']; hostOfTrusted?: boolean }>;
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

const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1);

/** Rules 1 and 7: the sender must be in the trust space and must not borrow a local address. */
export function decideSender(sender: SenderFacts): Refusal | undefined {
  const { origin, place, party } = sender;
  if (origin === 'mx') {
    // Another operator never speaks for our own domains: that would be spoofing.
    if (place.where === 'local') return refusal('SPOOFED_SENDER', `${party.address} is a local address`);
    if (place.where !== 'trusted') return refusal('SENDER_NOT_TRUSTED', `${party.address}`);
    // A bounce (null sender) names no domain; its From: is checked with the content.
    if (sender.peer && party.address !== '' && !speaksFor(sender.peer, domainOf(party.address))) {
      return refusal('DOMAIN_NOT_CERTIFIED', `MAIL FROM ${party.address}: ${certificateText(sender.peer)}`);
    }
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

function certificateText(peer: PeerFacts): string {
  return `the certificate (${peer.names.join(', ') || 'no name'}) does not speak for that domain`;
}

/**
 * Rule 7 on the header: exactly one From: field (RFC 5322 §3.6), naming the authenticated
 * mailbox on our doors; on the MX, authors of the trust space, never local, and of a domain
 * the peer's certificate speaks for.
 */
export function decideAuthor(sender: SenderFacts, author: AuthorFacts): Refusal | undefined {
  if (author.fields !== 1) return refusal('INVALID_AUTHOR', `the message has ${author.fields} From: fields`);
  if (author.addresses.length === 0) return refusal('INVALID_AUTHOR', 'the From: field names no address');
  if (sender.origin === 'mx') {
    // A bounce is written by the peer's own mail system (MAILER-DAEMON@mx.D).
    const bounce = sender.party.address === '';
    for (const { address, where, hostOfTrusted } of author.addresses) {
      if (where === 'local') return refusal('SPOOFED_SENDER', `From: ${address} is a local address`);
      if (where !== 'trusted' && !(bounce && hostOfTrusted)) return refusal('SENDER_NOT_TRUSTED', `From: ${address}`);
      if (sender.peer && !speaksFor(sender.peer, domainOf(address))) {
        return refusal('DOMAIN_NOT_CERTIFIED', `From: ${address}: ${certificateText(sender.peer)}`);
      }
    }
    return undefined;
  }
  const other = author.addresses.find((a) => a.address !== sender.authenticatedAs);
  return other ? refusal('SPOOFED_SENDER', `From: ${other.address} is not ${sender.authenticatedAs}`) : undefined;
}

/**
 * Rule 5's Reply-To: an address counts as "having written" only inside the sender's own
 * organisation: the sender's domain, or, from another operator, a domain its certificate speaks
 * for. Anyone else named in a Reply-To is a third party whose door must stay shut.
 */
export function speaksForOrganisation(sender: SenderFacts, address: string): boolean {
  if (sender.party.address === '') return false;
  const domain = domainOf(address);
  if (domain === domainOf(sender.party.address)) return true;
  return sender.origin === 'mx' && sender.peer !== undefined && speaksFor(sender.peer, domain);
}

/** Rules 2 to 6 for one recipient, from the envelope. */
export function decideRecipient(sender: SenderFacts, recipient: RecipientFacts, history: () => History): RecipientDecision {
  const { place } = recipient;
  if (place.where === 'outside') return reject(refusal('RECIPIENT_NOT_TRUSTED', recipient.party.address));
  if (place.where === 'trusted' && sender.origin === 'mx') {
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
