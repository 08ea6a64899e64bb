import { citizenAddress } from '../domain/address.js';
import { categoryName, type Category } from '../domain/categories.js';
import { checkIns } from '../domain/ins.js';
import { ValidationError } from '../errors.js';
import type { RecordDocument } from '../store/types.js';
import { table, type Command } from './command.js';

function documentJson(d: RecordDocument) {
  return {
    id: d.documentId,
    setId: d.setId,
    version: d.version,
    status: d.status,
    typeCode: d.typeCode,
    category: d.category,
    categoryName: categoryName(d.category as Category),
    title: d.title,
    author: { name: d.authorName, id: d.authorId },
    date: d.effectiveAt?.toISOString() ?? d.effectiveTime,
    sender: d.sender,
    sourceMessageId: d.sourceMessageId,
    visibility: d.confidentiality,
    hasPdf: d.pdfBlobId !== null,
    filedAt: d.filedAt.toISOString(),
  };
}

export const recordCommands: Command[] = [
  {
    name: 'record list',
    usage: 'record list <INS> [--json]',
    summary: "documents filed in a citizen's record, with category, version and visibility",
    args: [1, 1],
    async run(inv) {
      const ins = checkIns(inv.positionals[0]!);
      if (!ins.ok) throw new ValidationError(ins.message);
      const address = citizenAddress(ins.ins, inv.config().domains.citizen);
      if (!(await inv.store().mailboxes.byAddress(address))) throw new ValidationError(`no mailbox for the INS ${ins.ins}`);
      const documents = await inv.store().record.list(address);
      if (inv.json) return inv.printJson(documents.map(documentJson));
      if (documents.length === 0) return inv.note('the record is empty');
      inv.print(
        table([
          ['CATEGORY', 'TITLE', 'VERSION', 'STATUS', 'VISIBILITY'],
          ...documents.map((d) => [
            categoryName(d.category as Category),
            d.title,
            String(d.version),
            d.status,
            d.confidentiality.join(' ') || 'normal',
          ]),
        ]),
      );
    },
  },
];
