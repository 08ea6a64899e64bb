/**
 * What a delivery files into citizens' health records: each valid CDA document sent to a local
 * citizen, with its CDA and extracted PDF written as durable files before the commit. A document
 * already in the record is not written again (the record files it once).
 */
import { categoryOf } from '../domain/categories.js';
import type { CdaDocument } from '../documents/check.js';
import type { Filing } from '../store/types.js';
import type { AcceptedRecipient, PipelineDeps } from './deps.js';

export async function filingsFor(
  deps: Pick<PipelineDeps, 'store' | 'blobs'>,
  sender: string,
  recipients: readonly AcceptedRecipient[],
  documents: ReadonlyMap<string, CdaDocument[]>,
): Promise<Filing[]> {
  const filings: Filing[] = [];
  for (const r of recipients) {
    if (r.facts.party.role !== 'citizen' || r.facts.place.where !== 'local') continue;
    for (const doc of documents.get(r.address) ?? []) {
      if (await deps.store.record.has(r.address, doc.idKey)) continue;
      filings.push({
        citizen: r.address,
        documentId: doc.idKey,
        setId: doc.setIdKey,
        version: doc.version,
        typeCode: doc.typeCode,
        category: categoryOf(doc.typeCode),
        title: doc.title,
        authorName: doc.author.name ?? null,
        authorId: doc.author.id ?? null,
        effectiveAt: doc.effectiveDate ?? null,
        effectiveTime: doc.effectiveTime,
        sender,
        confidentiality: doc.xdmConfidentiality,
        cda: await stored(deps, doc.xml),
        pdf: doc.pdf ? await stored(deps, doc.pdf) : null,
      });
    }
  }
  return filings;
}

async function stored(deps: Pick<PipelineDeps, 'blobs'>, content: Buffer): Promise<{ blobId: string; size: number }> {
  const { id, size } = await deps.blobs.put(content);
  return { blobId: id, size };
}
