/**
 * GET /api/events: server-sent events fed by the store's change feed, so that a new message or
 * a read mark from another device appears without reloading. The page learns *that* a folder
 * changed and fetches the list again; nothing of a message travels here.
 *
 * A stream lives no longer than its session: before each event and each ping the session is
 * looked up again, and a session that ended (logged out, here or everywhere, idle, expired, the
 * mailbox closed) ends the stream. Without that, a stream opened before "log out everywhere"
 * went on telling whoever held it when mail arrived, for as long as the connection lasted.
 */
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
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

    const account = request.account!;
    const sessionLasts = () => ctx.sessions.stillOpen(account);
    let ended = false;
    const cleanup = () => {
      if (ended) return;
      ended = true;
      clearInterval(ping);
      unsubscribe();
      const left = (open.get(mailbox.id) ?? 1) - 1;
      if (left > 0) open.set(mailbox.id, left);
      else open.delete(mailbox.id);
    };
    const end = () => {
      cleanup();
      if (!res.writableEnded) res.end();
    };
    /** writes `text` if the session still lasts, else ends the stream */
    const send = async (text: string) => {
      if (ended) return;
      if (!(await sessionLasts())) return end();
      if (!ended && !res.writableEnded) res.write(text);
    };

    const folders = new Map<number, string>();
    const unsubscribe = store.changes.subscribe(mailbox.id, (change) => {
      void (async () => {
        let folder: string | null = null;
        if (change.folderId !== null) {
          folder = folders.get(change.folderId) ?? (await store.folders.byId(mailbox.id, change.folderId))?.name ?? null;
          if (folder) folders.set(change.folderId, folder);
        }
        await send(`event: changed\ndata: ${JSON.stringify({ folder })}\n\n`);
      })().catch(() => undefined);
    });
    const ping = setInterval(() => void send(': ping\n\n').catch(() => undefined), PING_MS);
    request.raw.once('close', cleanup);
    res.once('close', cleanup);
  });
}
