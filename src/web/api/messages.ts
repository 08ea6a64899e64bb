/**
 * The mailbox as people read it: a folder's list, one message (text, sanitised HTML,
 * attachments, whether a reply is allowed), an attachment's download. Opening a message marks
 * it seen and sends the read receipt a professional asked for (receipts.ts). Every lookup names
 * the logged-in mailbox: an id of another mailbox is a 404, as one that does not exist.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { hasRecord } from '../../domain/mailbox.js';
import { decodeWords } from '../../mime/header.js';
import type { EnvelopeAddress, MimeIndex } from '../../mime/types.js';
import { addressOf, addresses, firstName } from '../addresses.js';
import type { StoredMessage } from '../../store/types.js';
import type { ApiContext } from '../context.js';
import { badRequest, notFound } from '../errors.js';
import { idParam } from '../input.js';
import { attachmentsOf, bodiesOf, decodedPart, partSize, partText, type AttachmentRef } from '../message-parts.js';
import { ownDocumentTitle } from '../../domain/own-documents.js';
import { visibleToCitizen } from '../../domain/visibility.js';
import { sanitiseHtml } from '../sanitize.js';
import { sendDownload } from '../download.js';
import type { Account } from '../sessions.js';
import { replyVerdict } from './reply-check.js';
import { sendReceiptOnFirstOpening, type ReceiptState } from './receipt-on-open.js';

const READABLE_FOLDERS = new Set(['INBOX', 'Sent', 'Drafts', 'Trash']);
const ListQuery = z.object({
  folder: z.string().default('INBOX'),
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});


function summary(message: StoredMessage, mime: MimeIndex | undefined) {
  const envelope = mime?.envelope;
  return {
    id: message.id,
    from: message.from,
    fromName: envelope ? firstName(envelope.from) : null,
    to: envelope ? addresses(envelope.to) : [],
    subject: message.subject,
    date: (message.date ?? message.internalDate).toISOString(),
    seen: message.flags.includes('\\Seen'),
    hasAttachments: message.hasAttachments,
    conversationId: message.conversationId,
  };
}

/** The message of this mailbox, or a 404 that reveals nothing. */
export async function ownMessage(ctx: ApiContext, request: FastifyRequest): Promise<{ message: StoredMessage; mime: MimeIndex }> {
  const { mailbox } = request.account!;
  const message = await ctx.store.messages.byId(mailbox.id, idParam(request, 'id', 'Ce message'));
  const mime = message && (await ctx.store.messages.mime(message.blobId));
  if (!message || !mime) throw notFound('Ce message');
  return { message, mime };
}

/** The Message-ID a document filed from this message is kept under (one is made up when it has none). */
export function filingSource(message: StoredMessage): string {
  return message.messageId ?? `<message-${message.id}>`;
}

/** A CDA is told by its content: a ClinicalDocument root, or a zip (an IHE XDM package). */
async function withCdaFlag(ctx: ApiContext, account: Account, message: StoredMessage, refs: AttachmentRef[]) {
  const blobId = message.blobId;
  // What this message already put in the citizen's record: the documents it carried (filed at
  // delivery), and the files the citizen filed from it (by name), so the page can say so.
  const fromHere =
    hasRecord(account.mailbox) ? (await ctx.store.record.fromMessage(account.mailbox.address, filingSource(message))).filter(visibleToCitizen) : [];
  return Promise.all(
    refs.map(async (a) => {
      let isCda = a.isCda;
      if (isCda && !a.type.includes('zip') && !/\.zip$/i.test(a.name)) {
        const head = await partText(ctx.blobs, blobId, a.part, 8 * 1024);
        isCda = /<(?:[\w-]+:)?ClinicalDocument[\s>]/.test(head);
      }
      const filed = isCda ? fromHere.find((d) => d.source === 'message') : fromHere.find((d) => d.source === 'citizen' && d.title === ownDocumentTitle(a.name));
      return { index: a.index, name: a.name, type: a.type, size: await partSize(ctx.blobs, blobId, a.part), isCda, filedDocumentId: filed?.id ?? null };
    }),
  );
}

export async function messageView(ctx: ApiContext, account: Account, message: StoredMessage, mime: MimeIndex, receipt: ReceiptState) {
  const folder = await ctx.store.folders.byId(account.mailbox.id, message.folderId);
  const refs = attachmentsOf(mime);
  const bodies = bodiesOf(mime);
  const text = bodies.text ? await partText(ctx.blobs, message.blobId, bodies.text) : null;
  const rawHtml = bodies.html ? await partText(ctx.blobs, message.blobId, bodies.html) : null;
  // An inline image (cid:) is one of the message's own parts, served from here.
  const byContentId = new Map(refs.filter((r) => r.part.id).map((r) => [r.part.id!.replace(/^<|>$/g, ''), r.index]));
  const html = rawHtml
    ? sanitiseHtml(rawHtml, {
        inlineImage: (cid) => {
          const n = byContentId.get(cid);
          // ?inline: the page shows the image, nobody downloaded it (no line in the history)
          return n === undefined ? undefined : `/api/messages/${message.id}/attachments/${n}?inline=1`;
        },
      })
    : null;
  return {
    ...summary(message, mime),
    folder: folder?.name ?? null,
    cc: addresses(mime.envelope.cc),
    messageId: mime.envelope.messageId,
    headers: headerView(mime),
    text: text ?? (html ? htmlToText(html) : ''),
    html,
    attachments: await withCdaFlag(ctx, account, message, refs),
    receipt,
    reply: await replyVerdict(ctx, account, message),
  };
}

/** The main header fields as a person reads them (encoded words decoded), by lower-case name. */
function headerView(mime: MimeIndex): Record<string, string> {
  const e = mime.envelope;
  const list = (a: EnvelopeAddress[]) =>
    a
      .map((x) => {
        const address = addressOf(x);
        const name = x.name ? decodeWords(x.name) : null;
        return address ? (name ? `${name} <${address}>` : address) : null;
      })
      .filter((x): x is string => x !== null)
      .join(', ');
  const fields: Record<string, string | null> = {
    from: list(e.from),
    to: list(e.to),
    cc: list(e.cc),
    subject: e.subject === null ? null : decodeWords(e.subject),
    date: e.date,
    'message-id': e.messageId,
    'in-reply-to': e.inReplyTo,
  };
  return Object.fromEntries(Object.entries(fields).filter((f): f is [string, string] => f[1] !== null && f[1] !== ''));
}

/** The text of sanitised HTML, for a message without a plain part (and for screen readers' previews). */
function htmlToText(html: string): string {
  return html
    .replace(/<(br|\/p|\/div|\/li|\/tr|\/h\d)[^>]*>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

export function messageRoutes(api: FastifyInstance, ctx: ApiContext): void {
  const { store, blobs } = ctx;

  api.get('/messages', async (request) => {
    const { mailbox } = request.account!;
    // A malformed query is a 400: answering the first page instead (as this did) sends a client
    // that paginates with a bad `before` round the first page for ever.
    const parsed = ListQuery.safeParse(request.query ?? {});
    if (!parsed.success) throw badRequest('Requête invalide : limit va de 1 à 100, before est le « next » de la page précédente.');
    const query = parsed.data;
    const folder = READABLE_FOLDERS.has(query.folder) ? await store.folders.byName(mailbox.id, query.folder) : undefined;
    if (!folder) throw notFound('Ce dossier');
    const page = await store.messages.page(mailbox.id, folder.id, { beforeUid: query.before, limit: query.limit + 1 });
    const shown = page.slice(0, query.limit);
    const messages = await Promise.all(shown.map(async (m) => summary(m, await store.messages.mime(m.blobId))));
    return { folder: folder.name, messages, next: page.length > query.limit ? shown.at(-1)!.uid : null };
  });

  api.get('/messages/:id', async (request) => {
    const account = request.account!;
    const { message, mime } = await ownMessage(ctx, request);
    const receipt = await sendReceiptOnFirstOpening(ctx, request, message, mime);
    const view = await messageView(ctx, account, message, mime, receipt);
    return { ...view, seen: true };
  });

  api.get('/messages/:id/attachments/:n', async (request, reply) => {
    const { mailbox } = request.account!;
    const { message, mime } = await ownMessage(ctx, request);
    const n = idParam(request, 'n', 'Cette pièce jointe');
    const attachment = attachmentsOf(mime)[n];
    if (!attachment) throw notFound('Cette pièce jointe');
    const bytes = await decodedPart(blobs, message.blobId, attachment.part);
    // An image of the message's own HTML (its cid: URL says ?inline=1) is shown, not downloaded.
    const inPage = (request.query as { inline?: string } | undefined)?.inline === '1' && attachment.part.id !== null && attachment.type.startsWith('image/');
    if (!inPage) {
      await store.audit.record({
        actor: mailbox.address,
        action: 'message.attachment.download',
        mailbox: mailbox.address,
        target: `${message.id}/${n}`,
        outcome: 'ok',
        detail: attachment.name,
      });
    }
    const type = /^[a-z0-9.+-]+\/[a-z0-9.+-]+$/.test(attachment.type) ? attachment.type : 'application/octet-stream';
    return sendDownload(reply, bytes, type, attachment.name);
  });
}
