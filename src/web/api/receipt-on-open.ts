/**
 * The first opening of a message in the webmail: it becomes seen (written to the activity
 * history), and the read receipt its sender asked for goes out at once (domain/receipts.ts).
 * The `$MDNSent` keyword (RFC 3503) is set before sending, in one atomic flag change: two tabs
 * opening the message at once send one receipt, and a receipt is never sent twice.
 */
import { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { decideReceipt } from '../../domain/receipts.js';
import { addressOf } from '../addresses.js';
import { envelopeAddresses } from '../../mime/envelope.js';
import { firstField } from '../../mime/header.js';
import { messageHeader } from '../message-parts.js';
import type { MimeIndex } from '../../mime/types.js';
import { submit } from '../../pipeline/submit.js';
import type { StoredMessage } from '../../store/types.js';
import type { ApiContext } from '../context.js';
import { composeReceipt } from '../read-receipt.js';

export type ReceiptState = 'sent' | 'not-requested' | 'refused';

const MDN_SENT = '$MDNSent';
/**
 * Set beside $MDNSent (RFC 3503: "an MDN was sent or declined") when the rules refused the
 * receipt, or it could not be sent: later openings then say "refused" as the first did, instead
 * of "sent" for a receipt that never left.
 */
const MDN_REFUSED = '$MDNRefused';
const SENT_FOLDERS = new Set(['Sent', 'Drafts']);

/**
 * Receipts being sent now, by message id: an opening that finds $MDNSent claimed by another
 * (a second tab) answers with what the first sending comes to, not "sent" before it is known.
 */
const sending = new Map<number, Promise<ReceiptState>>();

/** what an answered message says: refused when $MDNRefused came with $MDNSent */
const answered = (flags: readonly string[]): ReceiptState => (flags.includes(MDN_REFUSED) ? 'refused' : 'sent');

export async function sendReceiptOnFirstOpening(ctx: ApiContext, request: FastifyRequest, message: StoredMessage, mime: MimeIndex): Promise<ReceiptState> {
  const { store, blobs, log, config } = ctx;
  const { mailbox } = request.account!;
  if (!message.flags.includes('\\Seen')) {
    const marked = await store.messages.setFlags(mailbox.id, message.folderId, [message.uid], { op: 'add', flags: ['\\Seen'] });
    if (marked.updated.length > 0) {
      await store.audit.record({ actor: mailbox.address, action: 'message.read', mailbox: mailbox.address, target: String(message.id), outcome: 'ok', detail: message.from });
    }
  }
  // Answered already (only a receipt that was due sets it): the header need not be read again.
  if (message.flags.includes(MDN_SENT)) return answered(message.flags);
  const header = await messageHeader(blobs, message.blobId, mime);
  const requestedBy = envelopeAddresses(firstField(header, 'disposition-notification-to'))
    .map(addressOf)
    .filter((a): a is string => a !== null);
  const folder = await store.folders.byId(mailbox.id, message.folderId);
  const decision = decideReceipt({
    reader: mailbox.kind,
    requestedBy,
    isReport: mime.root.type === 'multipart' && mime.root.subtype === 'report',
    received: folder !== undefined && !SENT_FOLDERS.has(folder.name),
    author: message.from,
  });
  if (!decision.due) return decision.asked ? 'refused' : 'not-requested';
  const to = decision.to;
  const claimed = await store.messages.setFlags(mailbox.id, message.folderId, [message.uid], { op: 'add', flags: [MDN_SENT] });
  if (claimed.updated.length === 0) {
    const underWay = sending.get(message.id);
    if (underWay) return underWay;
    const now = await store.messages.byId(mailbox.id, message.id);
    return answered(now?.flags ?? [MDN_SENT]);
  }
  const work = sendClaimed(ctx, request, message, mime, to);
  sending.set(message.id, work);
  try {
    return await work;
  } finally {
    sending.delete(message.id);
  }
}

/** sends the receipt whose $MDNSent this opening set; $MDNRefused beside it when it does not leave */
async function sendClaimed(ctx: ApiContext, request: FastifyRequest, message: StoredMessage, mime: MimeIndex, to: string): Promise<ReceiptState> {
  const { store, log, config } = ctx;
  const { mailbox } = request.account!;
  const refused = async (): Promise<ReceiptState> => {
    await store.messages.setFlags(mailbox.id, message.folderId, [message.uid], { op: 'add', flags: [MDN_REFUSED] });
    return 'refused';
  };

  const raw = composeReceipt({
    reader: { address: mailbox.address, name: mailbox.displayName },
    to,
    original: { messageId: mime.envelope.messageId, subject: message.subject, date: message.date },
    hostname: config.hostname,
    now: new Date(),
  });
  try {
    const outcome = await submit(ctx.pipeline, { origin: 'webmail', address: mailbox.address, authenticatedAs: mailbox.address, client: { ip: request.ip }, receipt: true }, [to], () => Readable.from([raw]));
    if (outcome.accepted) {
      await store.audit.record({ actor: mailbox.address, action: 'receipt.sent', mailbox: mailbox.address, target: to, outcome: 'ok', detail: String(message.id) });
      return 'sent';
    }
    log.info({ door: 'webmail', mailbox: mailbox.address, recipient: to, refusal: outcome.refusal.code }, 'read receipt refused by the rules');
    return await refused();
  } catch (err) {
    log.error({ err, door: 'webmail', mailbox: mailbox.address }, 'read receipt could not be sent');
    return await refused();
  }
}
