/**
 * GET /api/events: server-sent events fed by the store's change feed, so that a new message or
 * a read mark from another device appears without reloading. The page learns *that* a folder
 * changed and fetches the list again; nothing of a message travels here.
 */
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../app.js';
import { ApiError } from '../errors.js';

const PING_MS = 25_000;
/** event streams one mailbox may hold open (tabs, devices) */
const PER_MAILBOX = 10;

export function eventRoutes(api: FastifyInstance, ctx: ApiContext): void {
  const { store } = ctx;
  const open = new Map<number, number>();

  api.get('/events', async (request, reply) => {
    const { mailbox } = request.account!;
    const count = open.get(mailbox.id) ?? 0;
    if (count >= PER_MAILBOX) throw new ApiError(429, 'TOO_MANY_STREAMS', 'Trop d’onglets ouverts sur votre messagerie : fermez-en un.');
    open.set(mailbox.id, count + 1);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      connection: 'keep-alive',
    });
    res.write('retry: 5000\n\n');
    const folders = new Map<number, string>();
    const unsubscribe = store.changes.subscribe(mailbox.id, (change) => {
      void (async () => {
        let folder: string | null = null;
        if (change.folderId !== null) {
          folder = folders.get(change.folderId) ?? (await store.folders.byId(mailbox.id, change.folderId))?.name ?? null;
          if (folder) folders.set(change.folderId, folder);
        }
        if (!res.writableEnded) res.write(`event: changed\ndata: ${JSON.stringify({ folder })}\n\n`);
      })().catch(() => undefined);
    });
    const ping = setInterval(() => res.write(': ping\n\n'), PING_MS);
    request.raw.once('close', () => {
      clearInterval(ping);
      unsubscribe();
      const left = (open.get(mailbox.id) ?? 1) - 1;
      if (left > 0) open.set(mailbox.id, left);
      else open.delete(mailbox.id);
    });
  });
}
