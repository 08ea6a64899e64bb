/**
 * Who a citizen may write to. GET /api/contacts: the professionals who have written to this
 * citizen (the reply-only ledger, rule 5), named from the directory. GET
 * /api/directory/pharmacies?q=: the pharmacies a citizen may send a prescription to (rule 6),
 * by name, address or town.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ApiContext } from '../context.js';
import { badRequest } from '../errors.js';

const PHARMACIES = 20;
/** shorter than this, a text is no search: the list starts at the beginning of the alphabet */
const MIN_SEARCH = 2;

const PharmacyQuery = z.object({ q: z.string().max(100).default('') });

export function directoryRoutes(api: FastifyInstance, ctx: ApiContext): void {
  const { store } = ctx;

  api.get('/contacts', async (request) => {
    const { mailbox } = request.account!;
    // A professional's mailbox has no ledger of its own: anyone of the trust space is theirs to write to.
    if (mailbox.kind !== 'CITIZEN') return { contacts: [] };
    const writers = await store.conversations.writersTo(mailbox.address);
    const entries = await store.directory.byAddresses(writers.map((w) => w.professional));
    const contacts = writers.map((w) => {
      const entry = entries.get(w.professional);
      return { address: w.professional, name: entry?.displayName ?? null, kind: entry?.kind ?? null, pharmacy: entry?.pharmacy ?? false };
    });
    return { contacts };
  });

  api.get('/directory/pharmacies', async (request) => {
    const parsed = PharmacyQuery.safeParse(request.query ?? {});
    if (!parsed.success) throw badRequest('Recherche trop longue : tapez le nom ou la ville de la pharmacie.');
    const text = parsed.data.q.trim();
    const entries = await store.directory.search(text.length < MIN_SEARCH ? '' : text, { pharmaciesOnly: true, limit: PHARMACIES });
    return { pharmacies: entries.map((e) => ({ address: e.address, name: e.displayName, town: e.town ?? null })) };
  });
}
