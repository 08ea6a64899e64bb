/**
 * Messages the gateway writes itself (delivery status notifications) go straight into a local
 * mailbox: they answer something the sender did, so the reply-only rule does not apply, but they
 * are stored, committed and audited like any other message.
 */
import { simpleParser } from 'mailparser';
import { normaliseMessageId } from '../domain/conversations.js';
import { toCrlf } from '../mime/crlf.js';
import { indexMessage } from '../mime/indexer.js';
import { expiry } from './expiry.js';
import type { DeliverLocal, PipelineDeps } from './deps.js';

export function generatedDelivery(deps: Pick<PipelineDeps, 'store' | 'blobs' | 'config'>): DeliverLocal {
  const { store, blobs, config } = deps;
  return async ({ raw: given, mailbox, envelopeSender, audit }) => {
    const raw = toCrlf(given);
    const target = await store.mailboxes.byAddress(mailbox);
    if (!target || target.state !== 'open') throw new Error(`mailbox ${mailbox} cannot receive`);
    const parsed = await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true });
    const blob = await blobs.put(raw);
    const now = Date.now();
    await store.messages.deliver({
      blob,
      mime: indexMessage(raw),
      envelopeSender,
      messageId: parsed.messageId ? normaliseMessageId(parsed.messageId) : `<${blob.id}@${config.hostname}>`,
      subject: parsed.subject ?? null,
      from: parsed.from?.value[0]?.address?.toLowerCase() ?? null,
      date: parsed.date ?? new Date(now),
      hasAttachments: parsed.attachments.length > 0,
      targets: [{ mailbox: target.address, folder: 'INBOX' }],
      relay: [],
      conversations: [],
      contacts: [],
      notify: [],
      audit: [{ actor: `MAILER-DAEMON@${config.hostname}`, mailbox: target.address, target: target.address, ...audit }],
      ...expiry(config, now),
    });
  };
}
