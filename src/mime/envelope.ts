/**
 * RFC 3501 ENVELOPE from a message's header fields: the values as the message has them
 * (IMAP clients decode encoded words themselves), addresses split into IMAP's four parts with
 * groups marked, Sender and Reply-To defaulting to From.
 */
import addressparser from 'nodemailer/lib/addressparser';
import { firstField, type HeaderField } from './header.js';
import type { Envelope, EnvelopeAddress } from './types.js';

type Parsed = { name?: string; address?: string; group?: Parsed[] };

function single(entry: Parsed): EnvelopeAddress {
  const address = entry.address ?? '';
  const at = address.lastIndexOf('@');
  return {
    name: entry.name ? entry.name : null,
    adl: null,
    mailbox: at === -1 ? address || null : address.slice(0, at),
    host: at === -1 ? null : address.slice(at + 1),
  };
}

/** An address list header as IMAP's address structures; none when absent or empty. */
export function envelopeAddresses(value: string | null): EnvelopeAddress[] {
  if (!value) return [];
  const out: EnvelopeAddress[] = [];
  for (const entry of addressparser(value) as Parsed[]) {
    if (entry.group) {
      out.push({ name: null, adl: null, mailbox: entry.name ?? '', host: null });
      for (const member of entry.group) out.push(single(member));
      out.push({ name: null, adl: null, mailbox: null, host: null });
    } else if (entry.address || entry.name) {
      out.push(single(entry));
    }
  }
  return out;
}

export function buildEnvelope(fields: readonly HeaderField[]): Envelope {
  const list = (name: string) => envelopeAddresses(firstField(fields, name));
  const from = list('from');
  const sender = list('sender');
  const replyTo = list('reply-to');
  return {
    date: firstField(fields, 'date'),
    subject: firstField(fields, 'subject'),
    from,
    sender: sender.length ? sender : from,
    replyTo: replyTo.length ? replyTo : from,
    to: list('to'),
    cc: list('cc'),
    bcc: list('bcc'),
    inReplyTo: firstField(fields, 'in-reply-to'),
    messageId: firstField(fields, 'message-id'),
  };
}
