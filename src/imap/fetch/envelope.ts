/**
 * FETCH ENVELOPE (RFC 3501 §7.4.2) from the envelope the MIME index kept at delivery: values as
 * the message has them (clients decode encoded words), address lists as address structures,
 * groups as RFC 3501 marks them (a start with a NIL host, an end all NIL).
 */
import type { Envelope, EnvelopeAddress } from '../../mime/types.js';
import { list, NIL, nstring, type ImapOut } from '../protocol/values.js';

/**
 * What an address without a mailbox or a domain gets (as Dovecot does): a NIL there would read
 * as group syntax and hide the address.
 */
const MISSING_MAILBOX = 'MISSING_MAILBOX';
const MISSING_DOMAIN = 'MISSING_DOMAIN';

const isGroupEnd = (a: EnvelopeAddress): boolean => a.name === null && a.mailbox === null && a.host === null;

function address(name: string | null, adl: string | null, mailbox: string | null, host: string | null): ImapOut {
  return list([nstring(name), nstring(adl), nstring(mailbox), nstring(host)]);
}

/**
 * The index marks a group start as a hostless, nameless mailbox, like `<bar>` alone: it is a
 * group only when its end marker follows.
 */
function addressList(addresses: readonly EnvelopeAddress[]): ImapOut {
  const out: ImapOut[] = [];
  let inGroup = false;
  for (let i = 0; i < addresses.length; i++) {
    const a = addresses[i]!;
    if (isGroupEnd(a)) {
      if (inGroup) out.push(address(null, null, null, null));
      inGroup = false;
    } else if (!inGroup && a.host === null && a.name === null && addresses.slice(i + 1).some(isGroupEnd)) {
      out.push(address(null, null, a.mailbox, null));
      inGroup = true;
    } else {
      out.push(address(a.name, a.adl, a.mailbox ?? MISSING_MAILBOX, a.host ?? MISSING_DOMAIN));
    }
  }
  return out.length ? list(out) : NIL;
}

export function envelopeOut(envelope: Envelope): ImapOut {
  return list([
    nstring(envelope.date),
    nstring(envelope.subject),
    addressList(envelope.from),
    addressList(envelope.sender),
    addressList(envelope.replyTo),
    addressList(envelope.to),
    addressList(envelope.cc),
    addressList(envelope.bcc),
    nstring(envelope.inReplyTo),
    nstring(envelope.messageId),
  ]);
}
