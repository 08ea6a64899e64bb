/**
 * The citizen's health record: its categories, its documents (current and replaced versions),
 * one document with every version of its set, a document's file, and filing an attachment of a
 * received message into the record.
 *
 * The record is the logged-in mailbox's own (keyed by its address): every lookup names it, so
 * the id of another citizen's document is a 404, as one that does not exist. A document hidden
 * from the patient (INVISIBLE_PATIENT, domain/visibility.ts) is a 404 too, and never listed.
 * Reading, downloading and filing are written to the citizen's activity history.
 *
 * Filing goes the way of a delivery: a CDA (bare, or in an IHE XDM zip) is checked by the same
 * document checks with the citizen's INS, and filed under the same version rules
 * (pipeline/filing.ts) in the category of its type code; any other allowed file (PDF, JPEG,
 * PNG, TIFF, TXT, RTF, recognised by content) becomes a document of the citizen's own, in the
 * category they chose, with the type code Mon espace santé gives a patient's deposits
 * (domain/own-documents.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CATEGORIES, asCategory, categoryName, isCategory, type Category } from '../../domain/categories.js';
import {
  OWN_DOCUMENT_FORMATS,
  documentFileName,
  ownDocumentTitle,
  ownDocumentType,
  recordFiles,
  type OwnDocumentFormat,
} from '../../domain/own-documents.js';
import { refusal } from '../../domain/refusals.js';
import { citizenView, visibleToCitizen } from '../../domain/visibility.js';
import { judge, readAttachments, type CdaDocument } from '../../documents/check.js';
import { sniff } from '../../documents/sniff.js';
import { hasRecord, type Mailbox } from '../../domain/mailbox.js';
import { filingsFor, sha256 } from '../../pipeline/filing.js';
import type { AcceptedRecipient } from '../../pipeline/deps.js';
import { StoreConflict, type Filing, type RecordDocument, type StoredMessage } from '../../store/types.js';
import type { ApiContext } from '../context.js';
import { ApiError, badRequest, notFound, refusalError } from '../errors.js';
import { body, idParam } from '../input.js';
import { attachmentsOf, decodedPart } from '../message-parts.js';
import { sendDownload } from '../download.js';
import { filingSource, ownMessage } from './messages.js';

const ListQuery = z.object({ category: z.string().max(40).optional() });
const ContentQuery = z.object({ format: z.enum(['pdf', 'cda']).optional() });
const FileBody = z.object({ category: z.string().max(40).nullish() });

const NO_SUCH_DOCUMENT = 'Ce document';

/** A document as the API shows it (docs/webmail-api.md `document`). */
export function documentView(d: RecordDocument) {
  const category = asCategory(d.category);
  return {
    id: d.id,
    title: d.title,
    category,
    categoryLabel: categoryName(category),
    typeCode: d.typeCode,
    author: d.authorName ?? d.authorId,
    date: d.effectiveAt?.toISOString() ?? null,
    sender: d.sender,
    filedAt: d.filedAt.toISOString(),
    version: d.version,
    status: d.status,
    replacedBy: d.replacedBy,
    hasPdf: d.pdfBlobId !== null,
    source: d.source,
  };
}

function unknownCategory(): ApiError {
  return badRequest(`Catégorie inconnue : choisissez l'une de celles du dossier (${CATEGORIES.map((c) => categoryName(c)).join(', ')}).`, 'UNKNOWN_CATEGORY');
}

/** The document of this citizen's record that they may see, or the 404 of a missing id. */
async function visibleDocument(ctx: ApiContext, request: FastifyRequest): Promise<RecordDocument> {
  const citizen = request.account!.mailbox.address;
  const document = await ctx.store.record.byId(citizen, idParam(request, 'id', NO_SUCH_DOCUMENT));
  if (!document || !visibleToCitizen(document)) throw notFound(NO_SUCH_DOCUMENT);
  return document;
}

/** A plain text file is sent with the charset it can be read in. */
function textType(content: Buffer): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(content).includes('\ufffd') ? 'text/plain; charset=windows-1252' : 'text/plain; charset=utf-8';
}

/** HL7 TS of a moment, in UTC: what effectiveTime holds for a deposited file. */
function hl7Time(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace(/[-:T]/g, '')}+0000`;
}


const alreadyFiled = () => new ApiError(409, 'ALREADY_FILED', 'Ce document est déjà dans votre dossier de santé.');

export function recordRoutes(api: FastifyInstance, ctx: ApiContext): void {
  const { store, blobs, config } = ctx;

  api.get('/record/categories', async () => ({
    categories: CATEGORIES.map((code) => ({ code, label: categoryName(code) })),
  }));

  api.get('/record/documents', async (request) => {
    const query = ListQuery.safeParse(request.query ?? {});
    if (!query.success) throw unknownCategory();
    // `?category=` (the "all" of a picker) is no filter.
    const category = query.data.category || undefined;
    if (category !== undefined && !isCategory(category)) throw unknownCategory();
    const all = await store.record.list(request.account!.mailbox.address);
    const shown = citizenView(all).filter((d) => category === undefined || d.category === category);
    return { documents: shown.map(documentView) };
  });

  api.get('/record/documents/:id', async (request) => {
    const citizen = request.account!.mailbox.address;
    const found = await visibleDocument(ctx, request);
    const versions = citizenView(await store.record.versions(citizen, found.setId));
    const document = versions.find((v) => v.id === found.id) ?? found;
    await store.audit.record({ actor: citizen, action: 'record.read', mailbox: citizen, target: document.documentId, outcome: 'ok' });
    return { document: documentView(document), versions: versions.map(documentView) };
  });

  api.get('/record/documents/:id/content', async (request, reply) => {
    const citizen = request.account!.mailbox.address;
    const query = ContentQuery.safeParse(request.query ?? {});
    if (!query.success) throw badRequest('Format inconnu : demandez format=pdf ou format=cda.', 'UNKNOWN_FORMAT');
    const document = await visibleDocument(ctx, request);
    const files = recordFiles(document);
    const wanted = query.data.format;
    if (wanted === 'pdf' && !files.pdf) throw notFound("La version PDF de ce document");
    if (wanted === 'cda' && !files.cda) throw notFound('Le fichier CDA de ce document');
    // By default the PDF when there is one (what a person opens), else the document's own file.
    const format = wanted ?? (files.pdf ? 'pdf' : files.cda ? 'cda' : 'file');
    const file = format === 'pdf' ? files.pdf! : format === 'cda' ? files.cda! : files.original;
    const type = format === 'pdf' ? 'application/pdf' : format === 'cda' ? 'text/xml' : files.original.contentType;
    const extension = format === 'pdf' ? 'pdf' : format === 'cda' ? 'xml' : files.original.extension;
    const content = await blobs.read(file.blobId);
    await store.audit.record({ actor: citizen, action: 'record.download', mailbox: citizen, target: document.documentId, outcome: 'ok', detail: format });
    return sendDownload(reply, content, type === 'text/plain' ? textType(content) : type, documentFileName(document.title, extension));
  });

  api.post('/messages/:id/attachments/:n/file', async (request, reply) => {
    const { mailbox } = request.account!;
    if (!hasRecord(mailbox)) {
      throw new ApiError(403, 'NOT_A_CITIZEN', 'Seul un usager peut classer un document dans son dossier de santé.');
    }
    const chosen = body(FileBody, request, 'Requête invalide : indiquez au plus une catégorie du dossier.').category ?? undefined;
    if (chosen !== undefined && !isCategory(chosen)) throw unknownCategory();

    const { message, mime } = await ownMessage(ctx, request);
    const attachment = attachmentsOf(mime)[idParam(request, 'n', 'Cette pièce jointe')];
    if (!attachment) throw notFound('Cette pièce jointe');
    if (attachment.part.type === 'message') {
      // A forwarded message is mail, not a document: its own attachments are what may be filed.
      throw new ApiError(422, 'FORBIDDEN_FORMAT', 'Un message transféré ne se classe pas dans le dossier : classez plutôt ses pièces jointes.');
    }
    const content = await decodedPart(blobs, message.blobId, attachment.part);

    // The checks of a delivery to this citizen: the document must be valid, theirs, and visible to them.
    const read = await readAttachments([{ filename: attachment.name, contentType: attachment.type, content }], {
      acceptTestInsOids: config.trust.acceptTestInsOids,
    });
    const judged = judge(read, { recipientIns: mailbox.ins, citizenRecipient: true });
    if (judged.refusal) {
      const r = judged.refusal;
      // The attempt shows in the history, with the rule that refused it (the file's name, never its content).
      await store.audit.record({ actor: mailbox.address, action: 'record.refuse', mailbox: mailbox.address, target: `${message.id}/${attachment.index}`, outcome: r.code, detail: attachment.name });
      throw refusalError(refusal(r.code, `${r.message} [${r.check}]`));
    }

    const filed =
      judged.documents.length > 0
        ? await fileCdaDocuments(mailbox, message, judged.documents)
        : await fileOwnDocument(mailbox, message, attachment.name, content, chosen);
    const documents = filed.map(documentView);
    return reply.status(201).send({ document: documents[0], documents });
  });

  /** CDA documents: the delivery's filing decisions (pipeline/filing.ts), as if the message came again now. */
  async function fileCdaDocuments(
    mailbox: Mailbox,
    message: StoredMessage,
    documents: CdaDocument[],
  ): Promise<RecordDocument[]> {
    const citizen = mailbox.address;
    const recipient: AcceptedRecipient = {
      address: citizen,
      facts: { party: { role: 'citizen', address: citizen, ins: mailbox.ins! }, place: { where: 'local', state: mailbox.state }, mailbox },
      conditions: [],
    };
    // Who sent the document decides whose it is to replace later: the message's author.
    const sender = message.from ?? '';
    const planned = await filingsFor({ store, blobs }, sender, [recipient], new Map([[citizen, documents]]));
    if ('refusal' in planned) throw refusalError(planned.refusal);
    return commit(planned, citizen, message);
  }

  /** Any other allowed file: the citizen's own document, in the category they chose. */
  async function fileOwnDocument(
    mailbox: Mailbox,
    message: StoredMessage,
    name: string,
    content: Buffer,
    category: Category | undefined,
  ): Promise<RecordDocument[]> {
    const kind = sniff(content);
    if (!(kind in OWN_DOCUMENT_FORMATS)) {
      // A zip that passed the XDM checks but holds no CDA document to file.
      throw new ApiError(422, 'INVALID_DOCUMENT', `L’archive « ${name} » ne contient aucun document de santé à classer.`);
    }
    if (category === undefined) {
      throw badRequest('Choisissez la catégorie du dossier où classer ce fichier.', 'CATEGORY_REQUIRED');
    }
    const citizen = mailbox.address;
    const hash = sha256(content);
    // One content, one document: the same file filed again is found by its hash.
    const documentId = `citizen:sha256:${hash}`;
    if (await store.record.has(citizen, documentId)) throw alreadyFiled();
    const format = OWN_DOCUMENT_FORMATS[kind as OwnDocumentFormat];
    const stored = await blobs.put(content);
    const file = { blobId: stored.id, size: stored.size };
    const date = message.date ?? message.internalDate;
    const filing: Filing = {
      citizen,
      documentId,
      setId: documentId,
      version: 1,
      typeCode: ownDocumentType(category).code,
      category,
      title: ownDocumentTitle(name),
      authorName: mailbox.displayName ?? citizen,
      authorId: mailbox.ins,
      effectiveAt: date,
      effectiveTime: hl7Time(date),
      sender: citizen,
      confidentiality: [],
      cda: file,
      pdf: kind === 'pdf' ? file : null,
      contentHash: hash,
      custodian: '',
      // The citizen's own document: nobody else's to replace.
      organisation: citizen,
      visibilityStated: false,
      source: 'citizen',
      contentType: format.contentType,
    };
    return commit([filing], citizen, message);
  }

  async function commit(filings: Filing[], citizen: string, message: StoredMessage): Promise<RecordDocument[]> {
    if (filings.length === 0) throw alreadyFiled();
    try {
      const done = await store.record.fileForCitizen(filings, { actor: citizen, sourceMessageId: filingSource(message) });
      const documents = done.flatMap((d) => (d.document ? [d.document] : []));
      if (documents.length === 0) throw alreadyFiled();
      return documents;
    } catch (err) {
      if (err instanceof StoreConflict) {
        throw new ApiError(409, 'RECORD_CHANGED', 'Votre dossier a changé pendant le classement : réessayez.');
      }
      throw err;
    }
  }
}


