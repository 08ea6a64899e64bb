/**
 * One mail transaction through the pipeline, whatever the door: the sender is decided when the
 * transaction opens (MAIL FROM), each recipient when it is added (RCPT TO), and the content when
 * it is received (DATA). Nothing is delivered to anyone unless everything is accepted, and a
 * message is acknowledged only once its body is on disk and its delivery committed.
 */
import type { Readable } from 'node:stream';
import { isPrescriptionCode, isPrescriptionInRecord } from '../domain/categories.js';
import { decideAuthor, decideContent, decideRecipient, type SenderFacts } from '../domain/policy.js';
import { refusal, type Refusal } from '../domain/refusals.js';
import { judge, readAttachments, type CdaDocument } from '../documents/check.js';
import type { MimeIndex } from '../mime/types.js';
import type { BlobDraft } from '../store/types.js';
import type { MessageContent } from './content.js';
import { expiry } from './expiry.js';
import { filingsFor } from './filing.js';
import { answeredConversation, route } from './routing.js';
import type { AcceptedRecipient, PipelineDeps } from './deps.js';
import { ingest, submissionFields } from './ingest.js';
import { receivedHeader } from './received.js';
import type { Outcome, SenderInput } from './types.js';

/** Where messages come from our own users: their messages get Date: and Message-ID: if they lack them. */
const SUBMITTED = new Set<SenderInput['origin']>(['submission', 'webmail']);

export class MailTransaction {
  readonly recipients: AcceptedRecipient[] = [];

  constructor(
    private readonly deps: PipelineDeps,
    readonly input: SenderInput,
    private readonly sender: SenderFacts,
  ) {}

  /** RCPT TO: decides one recipient from the envelope; returns the refusal, if any. */
  async addRecipient(text: string): Promise<Refusal | undefined> {
    const decided = await this.decide(text);
    if ('refusal' in decided) return this.refused(decided.target, decided.refusal);
    if (!this.recipients.some((r) => r.address === decided.accepted.address)) this.recipients.push(decided.accepted);
    return undefined;
  }

  /** The envelope's decision on one recipient, recording nothing (a door may ask beforehand). */
  async decide(text: string): Promise<{ accepted: AcceptedRecipient } | { refusal: Refusal; target: string }> {
    const described = await this.deps.facts.describe(text);
    if (!described.ok) return { refusal: described.refusal, target: text };
    const { facts } = described;
    const address = facts.party.address;
    const sender = this.sender.party;

    // The ledger is read only for a citizen writing to a professional.
    let written = false;
    if (sender.role === 'citizen' && facts.party.role === 'professional') {
      written = await this.deps.store.conversations.hasWritten(address, sender.address);
    }
    const decision = decideRecipient(this.sender, facts, () => ({ professionalHasWritten: written }));
    if (!decision.accepted) return { refusal: decision.refusal, target: address };
    return { accepted: { address, facts, conditions: decision.conditions } };
  }

  /** DATA: streams the message to disk, checks it, and delivers it or says why not. */
  async receive(data: Readable): Promise<Outcome> {
    if (this.recipients.length === 0) throw new Error('no recipient accepted');
    const { blobs, config } = this.deps;
    const draft = await blobs.create();
    let kept = false;
    try {
      // The index is of the stored file, trace header included: readers take parts by offset.
      const ingested = await ingest(data, draft.stream, {
        limits: config.limits,
        trace: receivedHeader({
          client: this.input.client,
          origin: this.input.origin,
          hostname: config.hostname,
          id: draft.id,
          recipients: this.recipients.map((r) => r.address),
        }),
        // Never added to what another operator sent: that is its message, as it was signed.
        complete: SUBMITTED.has(this.input.origin) ? submissionFields(draft.id, config.hostname) : [],
      });
      if ('refusal' in ingested) return this.refuseAll(ingested.refusal);
      const { mime, content } = ingested;

      const problem = await this.checkContent(content);
      if ('refusal' in problem) return this.refuseAll(problem.refusal);

      return await this.deliver(draft, mime, content, problem.documents, () => (kept = true));
    } finally {
      if (!kept) await blobs.discard(draft);
    }
  }

  private async checkContent(content: MessageContent): Promise<{ refusal: Refusal } | { documents: Map<string, CdaDocument[]> }> {
    const { config } = this.deps;
    if (content.attachmentBytes > config.limits.maxAttachmentBytes) {
      return {
        refusal: refusal(
          'TOO_LARGE',
          `the attachments total ${content.attachmentBytes} bytes once decoded; the limit is ${config.limits.maxAttachmentBytes}`,
        ),
      };
    }
    const authors = await Promise.all(content.from.map((a) => this.deps.facts.author(a)));
    const author = decideAuthor(this.sender, { fields: content.fromFields, addresses: authors });
    if (author) return { refusal: author };

    // Attachments are read once; what they hold is then judged for professionals and for each
    // citizen recipient, since a document must concern the citizen it is sent to.
    const read = await readAttachments(content.attachments, { acceptTestInsOids: config.trust.acceptTestInsOids });
    const documents = new Map<string, CdaDocument[]>();
    const audiences = new Map<string, string | undefined>();
    for (const r of this.recipients) {
      if (r.facts.party.role === 'citizen') audiences.set(r.address, r.facts.party.ins);
      else audiences.set('professionals', undefined);
    }
    for (const [audience, ins] of audiences) {
      const result = judge(read, { recipientIns: ins, citizenRecipient: ins !== undefined, headers: content.headers });
      if (result.refusal) {
        const r = result.refusal;
        const who = ins ? ` (to ${audience})` : '';
        return { refusal: refusal(r.code, `${r.message} [${r.check}]${who}`) };
      }
      documents.set(audience, result.documents);
    }

    const all = [...documents.values()].flat();
    const hasPrescription = all.some((d) => isPrescriptionCode(d.typeCode)) || (await this.recordHasPrescription());
    for (const r of this.recipients) {
      if (r.conditions.length === 0) continue;
      const conversation = await answeredConversation(this.deps, content, this.citizenOf(r));
      const verdict = decideContent(
        r.conditions,
        { hasPrescription, conversation: conversation && { closed: conversation.state === 'closed' } },
        r.address,
      );
      if (verdict) return { refusal: verdict };
    }
    return { documents };
  }

  /** Rule 6 from the record: the attached record documents are read from the sender's own record. */
  private async recordHasPrescription(): Promise<boolean> {
    const ids = this.input.recordDocumentIds ?? [];
    if (ids.length === 0 || this.sender.party.role !== 'citizen') return false;
    const documents = await Promise.all(ids.map((id) => this.deps.store.record.byId(this.sender.party.address, id)));
    return documents.some((d) => d !== undefined && d.status === 'current' && isPrescriptionInRecord(d.category));
  }

  private citizenOf(r: AcceptedRecipient): string {
    return r.facts.party.role === 'citizen' ? r.address : this.sender.party.address;
  }


  /**
   * Commits the delivery. Once the body is durable it is never deleted here, even if the commit
   * then fails: whether the commit happened is unknown, and an unreferenced file is only an
   * orphan for the sweep, while a deleted body under a committed row would be a lost message.
   */
  private async deliver(draft: BlobDraft, mime: MimeIndex, content: MessageContent, documents: Map<string, CdaDocument[]>, persisted: () => void): Promise<Outcome> {
    const { store, blobs, config } = this.deps;
    const sender = this.sender.party;
    const messageId = content.messageId ?? `<${draft.id}@${config.hostname}>`;

    const routing = await route(this.deps, this.sender, this.recipients, content, { receipt: this.input.receipt === true });
    const audit = this.recipients.map((r) => ({
      actor: sender.address,
      action: r.facts.place.where === 'local' ? 'message.deliver' : 'message.relay',
      mailbox: r.facts.place.where === 'local' ? r.address : null,
      target: r.address,
      outcome: 'accepted',
      detail: `${this.input.origin} ${messageId}${documentCount(documents, r.address)}`,
    }));
    // The sender's own history shows what they sent (a read receipt has its own line).
    const author = this.input.authenticatedAs;
    if (author && !this.input.receipt) {
      for (const r of this.recipients) {
        audit.push({ actor: author, action: 'message.send', mailbox: author, target: r.address, outcome: 'accepted', detail: `${this.input.origin} ${messageId}` });
      }
    }

    const filings = await filingsFor(this.deps, sender.address, this.recipients, documents);
    if ('refusal' in filings) return this.refuseAll(filings.refusal); // the record's version rules
    const size = await blobs.persist(draft);
    persisted();
    await store.messages.deliver({
      blob: { id: draft.id, size },
      mime,
      envelopeSender: this.input.address,
      envelopeId: this.input.envelopeId ?? null,
      messageId,
      subject: content.subject,
      from: content.from[0] ?? null,
      date: content.date,
      hasAttachments: content.attachments.length > 0,
      ...routing,
      audit,
      ...expiry(config),
      filings,
    });
    this.deps.events.committed({ relay: routing.relay.length, notify: routing.notify.length });
    // One line per accepted message for the operator: who and how much, never subject or content.
    this.deps.log.info(
      { queueId: draft.id, door: this.input.origin, sender: this.input.address || '<>', recipients: this.recipients.length, size },
      'message accepted',
    );
    return { accepted: true, messageId, queueId: draft.id, recipients: this.recipients.map((r) => r.address) };
  }

  private async refused(target: string, r: Refusal): Promise<Refusal> {
    await this.deps.store.audit.record({
      actor: this.sender.party.address || '<>',
      action: 'message.refuse',
      mailbox: this.input.authenticatedAs ?? null,
      target,
      outcome: r.code,
      detail: r.detail ?? null,
    });
    this.deps.log.info({ origin: this.input.origin, sender: this.sender.party.address, recipient: target, refusal: r.code }, 'recipient refused');
    return r;
  }

  private async refuseAll(r: Refusal): Promise<Outcome> {
    for (const recipient of this.recipients) await this.refused(recipient.address, r);
    return { accepted: false, refusal: r };
  }
}

function documentCount(documents: Map<string, CdaDocument[]>, recipient: string): string {
  const n = (documents.get(recipient) ?? documents.get('professionals') ?? []).length;
  return n ? ` with ${n} document(s)` : '';
}
