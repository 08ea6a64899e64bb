/**
 * What a delivery files into citizens' health records: each valid CDA document sent to a local
 * citizen, decided by the version rules (domain/versions.ts) on what the record already holds,
 * before the sender is answered. A refusal refuses the message; otherwise the documents' files
 * are written as durable blobs and the filings go into the delivery's commit, where the store
 * applies the same rules again.
 */
import { createHash } from 'node:crypto';
import { categoryOf } from '../domain/categories.js';
import type { Refusal } from '../domain/refusals.js';
import { applyDecision, decideFiling, organisationKey, type FilingDecision, type FilingFacts, type IncomingDocument, type VersionCheck } from '../domain/versions.js';
import type { CdaDocument } from '../documents/check.js';
import type { FiledVersion, Filing } from '../store/types.js';
import type { AcceptedRecipient, PipelineDeps } from './deps.js';

type Deps = Pick<PipelineDeps, 'store' | 'blobs'>;

interface Plan {
  citizen: string;
  doc: CdaDocument;
  incoming: IncomingDocument;
  decision: FilingDecision<FiledVersion>;
}

export async function filingsFor(
  deps: Deps,
  sender: string,
  recipients: readonly AcceptedRecipient[],
  documents: ReadonlyMap<string, CdaDocument[]>,
): Promise<Filing[] | { refusal: Refusal }> {
  // Everything is decided before any file is written: a refusal leaves nothing behind.
  const plans: Plan[] = [];
  for (const r of recipients) {
    if (r.facts.party.role !== 'citizen' || r.facts.place.where !== 'local') continue;
    // Documents filed earlier in this message, as the commit will have filed them (negative ids).
    const seen = new Map<number, FiledVersion>();
    let pendingId = -1;
    for (const doc of documents.get(r.address) ?? []) {
      const incoming = incomingOf(doc, sender);
      const facts = withPending(await deps.store.record.facts(r.address, incoming.documentId, incoming.setId), seen, incoming);
      if (facts.sameId?.contentHash === null) facts.sameId = { ...facts.sameId, contentHash: await hashOfFiled(deps, facts.sameId) };
      const decision = decideFiling(incoming, facts);
      if (decision.kind === 'refuse') return { refusal: await refused(deps, sender, r.address, doc, decision.check, decision.refusal) };
      const filed: FiledVersion = { ...incoming, rowId: pendingId--, status: 'current', cda: { blobId: '', size: 0 }, pdf: null };
      for (const changed of applyDecision(facts, filed, decision)) seen.set(changed.rowId, changed);
      plans.push({ citizen: r.address, doc, incoming, decision });
    }
  }

  const filings: Filing[] = [];
  for (const { citizen, doc, incoming, decision } of plans) {
    if (decision.kind === 'duplicate') continue;
    // A document already filed keeps its files: a re-sending only changes (or tries) its codes.
    const again = decision.kind === 'update-visibility' || decision.kind === 'visibility-ignored';
    const files = again
      ? filesOf(decision.filed, citizen, filings)
      : { cda: await stored(deps, doc.xml), pdf: doc.pdf ? await stored(deps, doc.pdf) : null };
    filings.push({
      citizen,
      typeCode: doc.typeCode,
      category: categoryOf(doc.typeCode),
      title: doc.title,
      authorName: doc.author.name ?? null,
      authorId: doc.author.id ?? null,
      effectiveAt: doc.effectiveDate ?? null,
      effectiveTime: doc.effectiveTime,
      sender,
      ...incoming,
      confidentiality: [...incoming.confidentiality],
      ...files,
    });
  }
  return filings;
}

function incomingOf(doc: CdaDocument, sender: string): IncomingDocument {
  return {
    documentId: doc.idKey,
    setId: doc.setIdKey,
    version: doc.version,
    contentHash: sha256(doc.xml),
    custodian: organisationKey(doc.custodian),
    organisation: sender.slice(sender.lastIndexOf('@') + 1).toLowerCase(),
    confidentiality: doc.xdmConfidentiality,
    // Only XDM metadata states visibility codes; a bare CDA leaves the filed ones alone.
    visibilityStated: doc.entry !== undefined,
  };
}

function withPending(stored: FilingFacts<FiledVersion>, seen: ReadonlyMap<number, FiledVersion>, doc: IncomingDocument): FilingFacts<FiledVersion> {
  const view = (d: FiledVersion) => seen.get(d.rowId) ?? d;
  const pending = [...seen.values()].filter((d) => d.rowId < 0);
  const sameId = stored.sameId ? view(stored.sameId) : pending.find((d) => d.documentId === doc.documentId);
  const set = [...stored.set.map(view), ...pending.filter((d) => d.setId === doc.setId)];
  return sameId ? { sameId, set } : { set };
}

/** Documents filed before hashes were kept: hashed from their stored file when needed. */
async function hashOfFiled(deps: Deps, filed: FiledVersion): Promise<string | null> {
  try {
    return sha256(await deps.blobs.read(filed.cda.blobId));
  } catch {
    return null; // the file is gone: the content cannot be compared
  }
}

/** The files of a filed document, or of one filed earlier in this very message (always before it). */
function filesOf(filed: FiledVersion, citizen: string, filings: readonly Filing[]): Pick<Filing, 'cda' | 'pdf'> {
  if (filed.rowId > 0) return { cda: filed.cda, pdf: filed.pdf };
  const earlier = filings.find((f) => f.citizen === citizen && f.documentId === filed.documentId)!;
  return { cda: earlier.cda, pdf: earlier.pdf };
}

async function refused(deps: Deps, sender: string, citizen: string, doc: CdaDocument, check: VersionCheck, r: Refusal): Promise<Refusal> {
  const where = `${doc.attachment}${doc.entry === undefined ? '' : ` entry "${doc.entry}"`}`;
  const located = { ...r, detail: `${where}: ${r.detail ?? ''} (to ${citizen})` };
  // The citizen's activity history shows the attempt on their record, and why it failed.
  await deps.store.audit.record({
    actor: sender || '<>',
    action: 'record.refuse',
    mailbox: citizen,
    target: doc.idKey,
    outcome: check,
    detail: located.detail,
  });
  return located;
}

/** The SHA-256 of a document's bytes (hex): a filed document id names one content. */
export function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

async function stored(deps: Pick<PipelineDeps, 'blobs'>, content: Buffer): Promise<{ blobId: string; size: number }> {
  const { id, size } = await deps.blobs.put(content);
  return { blobId: id, size };
}
