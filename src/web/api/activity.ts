/**
 * GET /api/activity?before=ID: the mailbox's activity history, newest first, a page at a time,
 * each line said in French for a person (domain/activity.ts). Lines about a document hidden
 * from the citizen are left out, as the document is. Never any content: who, what, which
 * document or address, and the answer.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { hasRecord } from '../../domain/mailbox.js';
import { activityLabel, shownInHistory, type ActivityContext } from '../../domain/activity.js';
import { asCategory, categoryName } from '../../domain/categories.js';
import { visibleToCitizen } from '../../domain/visibility.js';
import type { AuditRecord, Store } from '../../store/types.js';
import type { ApiContext } from '../context.js';
import { badRequest } from '../errors.js';

const PAGE = 50;
/** rows read per round while lines are being left out (hidden documents) */
const READ = 200;

const Query = z.object({
  before: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(PAGE),
});

/** "Dr House (dr.house@…)" from the directory, the bare address otherwise; asked once per address. */
function namer(store: Store) {
  const names = new Map<string, string>();
  return {
    async learn(addresses: Iterable<string>): Promise<void> {
      for (const address of addresses) {
        if (names.has(address) || !address.includes('@')) continue;
        const entry = await store.directory.byAddress(address);
        names.set(address, entry?.displayName ? `${entry.displayName} (${address})` : address);
      }
    },
    who: (address: string) => names.get(address) ?? (address || 'un expéditeur inconnu'),
  };
}

export function activityRoutes(api: FastifyInstance, ctx: ApiContext): void {
  const { store } = ctx;

  api.get('/activity', async (request) => {
    const parsed = Query.safeParse(request.query ?? {});
    if (!parsed.success) throw badRequest('Paramètre invalide : `before` est le `next` de la page précédente, `limit` un nombre de 1 à 100.');
    const { before, limit } = parsed.data;
    const { mailbox } = request.account!;
    const viewer = mailbox.address;

    // The record, to name documents and to leave out the lines of those hidden from the citizen
    // (a professional's mailbox has none).
    const record = hasRecord(mailbox) ? await store.record.list(viewer) : [];
    const documents = new Map(record.map((d) => [d.documentId, d] as const));
    const hidden = (documentId: string) => {
      const d = documents.get(documentId);
      return d !== undefined && !visibleToCitizen(d);
    };

    const shown: AuditRecord[] = [];
    let cursor = before;
    let more = true;
    while (shown.length <= limit && more) {
      const rows = await store.audit.forMailbox(viewer, { beforeId: cursor, limit: READ });
      more = rows.length === READ;
      for (const row of rows) {
        cursor = row.id;
        if (shownInHistory(row, hidden)) shown.push(row);
        if (shown.length > limit) break;
      }
    }
    const page = shown.slice(0, limit);
    const next = shown.length > limit ? page[page.length - 1]!.id : null;

    const names = namer(store);
    // The addresses the sentences name: who acted, to whom, and whose message was read.
    await names.learn(page.flatMap((l) => [l.actor, l.target ?? '', l.action === 'message.read' ? (l.detail ?? '') : '']));
    const context: ActivityContext = {
      viewer,
      who: names.who,
      document(documentId) {
        const d = documents.get(documentId);
        if (!d || !visibleToCitizen(d)) return undefined;
        return { title: d.title, categoryLabel: categoryName(asCategory(d.category)) };
      },
    };
    return {
      entries: page.map((l) => ({
        id: l.id,
        at: l.at.toISOString(),
        actor: l.actor,
        action: l.action,
        label: activityLabel(l, context),
        target: l.target,
        outcome: l.outcome,
      })),
      next,
    };
  });
}
