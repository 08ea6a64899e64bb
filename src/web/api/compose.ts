/**
 * POST /api/messages: a message written in the webmail goes through the same pipeline and the
 * same rules as SMTP submission (origin `webmail`); a refusal comes back with the rule's code
 * and its French words. A reply names the message it answers by id; documents of the sender's
 * own record are attached by id (rule 6 may count them as prescriptions).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { documentFileName, recordFiles } from '../../domain/own-documents.js';
import { isInvisibleToCitizen } from '../../domain/visibility.js';
import { firstField } from '../../mime/header.js';
import { messageHeader } from '../message-parts.js';
import { compose, submit } from '../../pipeline/submit.js';
import type { RecordDocument } from '../../store/types.js';
import type { ApiContext } from '../context.js';
import { badRequest, notFound, refusalError } from '../errors.js';
import { body } from '../input.js';

const MAX_RECIPIENTS = 20;
const Address = z.string().trim().toLowerCase().min(3).max(320);
const Message = z.object({
  to: z.union([Address, z.array(Address).min(1).max(MAX_RECIPIENTS)]),
  subject: z.string().max(500).default(''),
  text: z.string().max(200_000).default(''),
  inReplyTo: z.number().int().positive().optional(),
  recordDocumentIds: z.array(z.number().int().positive()).max(10).optional(),
});

export function composeRoutes(api: FastifyInstance, ctx: ApiContext): void {
  const { store, blobs, pipeline } = ctx;

  api.post('/messages', async (request, reply) => {
    const { mailbox } = request.account!;
    const input = body(Message, request, 'Message incomplet : indiquez au moins un destinataire, puis réessayez.');
    const to = [...new Set(Array.isArray(input.to) ? input.to : [input.to])];
    if (!input.text.trim() && !input.recordDocumentIds?.length) throw badRequest('Le message est vide : écrivez quelques mots.', 'EMPTY_MESSAGE');

    // The message answered: its Message-ID makes the reply part of the same conversation.
    let threading: { inReplyTo: string; references: string[] } | undefined;
    if (input.inReplyTo !== undefined) {
      const answered = await store.messages.byId(mailbox.id, input.inReplyTo);
      const mime = answered && (await store.messages.mime(answered.blobId));
      if (!answered || !mime) throw notFound('Le message auquel vous répondez');
      const own = mime.envelope.messageId ?? answered.messageId;
      if (own) {
        const header = await messageHeader(blobs, answered.blobId, mime);
        const earlier = (firstField(header, 'references') ?? '').match(/<[^<>\s]+>/g) ?? [];
        threading = { inReplyTo: own, references: [...earlier.slice(-20), own] };
      }
    }

    const documents: RecordDocument[] = [];
    for (const id of new Set(input.recordDocumentIds ?? [])) {
      const document = await store.record.byId(mailbox.address, id);
      if (!document || isInvisibleToCitizen(document.confidentiality)) throw notFound('Ce document');
      documents.push(document);
    }
    const attachments: Array<{ filename: string; content: Buffer; contentType: string }> = [];
    for (const d of documents) {
      // A document of a message is its CDA and the PDF extracted from it; a file the citizen
      // filed (a scanned prescription…) is that one file, under its own type. Attaching every
      // document's file as a CDA sent a citizen's PDF twice, once named `….pdf.xml` as text/xml.
      const files = recordFiles(d);
      const main = files.cda ? { ...files.cda, contentType: 'text/xml', extension: 'xml' } : files.original;
      attachments.push({ filename: documentFileName(d.title, main.extension), content: await blobs.read(main.blobId), contentType: main.contentType });
      if (files.pdf && files.pdf.blobId !== main.blobId) {
        attachments.push({ filename: documentFileName(d.title, 'pdf'), content: await blobs.read(files.pdf.blobId), contentType: 'application/pdf' });
      }
    }

    const outcome = await submit(
      pipeline,
      {
        origin: 'webmail',
        address: mailbox.address,
        authenticatedAs: mailbox.address,
        client: { ip: request.ip, ...(request.protocol === 'https' ? { tls: 'HTTPS' } : {}) },
        recordDocumentIds: documents.map((d) => d.id),
      },
      to,
      () =>
        compose({
          from: { name: mailbox.displayName ?? '', address: mailbox.address },
          to,
          subject: input.subject,
          text: input.text,
          ...(threading ? { inReplyTo: threading.inReplyTo, references: threading.references } : {}),
          attachments,
        }),
    );
    if (!outcome.accepted) throw refusalError(outcome.refusal);
    return reply.status(201).send({ messageId: outcome.messageId, recipients: outcome.recipients });
  });
}
