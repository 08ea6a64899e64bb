/**
 * Webmail sessions: a random token in an HttpOnly, SameSite=Strict cookie (Secure when the
 * request came over TLS); only its SHA-256 is stored, so a copy of the database opens no
 * session. A session ends after `web.sessionIdleMinutes` without a call and `web.sessionHours`
 * after login; the idle deadline is written at most once a minute.
 */
import { createHash, randomBytes } from 'node:crypto';
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import type { Mailbox } from '../domain/mailbox.js';
import type { Store, WebSession } from '../store/types.js';
import { ApiError } from './errors.js';

export const SESSION_COOKIE = 'mssgw_session';
const TOUCH_GRAIN_MS = 60_000;

export interface Account {
  mailbox: Mailbox;
  session: WebSession;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** the logged-in mailbox, set by `requireAccount` on every /api call but logging in */
    account?: Account;
  }
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export const notLoggedIn = () => new ApiError(401, 'NOT_LOGGED_IN', 'Vous n’êtes pas connecté, ou votre session a expiré : connectez-vous.');

export function createSessions(store: Store, config: Config, clock: () => number = Date.now) {
  const idleMs = config.web.sessionIdleMinutes * 60_000;
  const lifeMs = config.web.sessionHours * 3_600_000;

  function cookieOptions(request: FastifyRequest) {
    return { path: '/', httpOnly: true, sameSite: 'strict' as const, secure: request.protocol === 'https' };
  }

  return {
    async open(mailbox: Mailbox, request: FastifyRequest, reply: FastifyReply): Promise<Account> {
      const token = randomBytes(32).toString('base64url');
      const now = clock();
      const session: WebSession = {
        tokenHash: hashToken(token),
        mailboxId: mailbox.id,
        createdAt: new Date(now),
        seenAt: new Date(now),
        idleUntil: new Date(Math.min(now + idleMs, now + lifeMs)),
        expiresAt: new Date(now + lifeMs),
        client: request.ip,
      };
      await store.webSessions.create(session);
      // An old session cookie of this browser is simply replaced.
      reply.setCookie(SESSION_COOKIE, token, { ...cookieOptions(request), maxAge: Math.floor(lifeMs / 1000) });
      return { mailbox, session };
    },

    /** the account of the request's cookie, or undefined (no cookie, ended, mailbox no longer open) */
    async identify(request: FastifyRequest): Promise<Account | undefined> {
      const token = request.cookies[SESSION_COOKIE];
      if (!token || token.length > 100) return undefined;
      const now = clock();
      const session = await store.webSessions.find(hashToken(token), new Date(now));
      if (!session) return undefined;
      const mailbox = await store.mailboxes.byId(session.mailboxId);
      if (!mailbox || mailbox.state !== 'open') return undefined;
      if (now - session.seenAt.getTime() >= TOUCH_GRAIN_MS) {
        await store.webSessions.touch(session.tokenHash, new Date(now), new Date(now + idleMs));
      }
      return { mailbox, session };
    },

    /** the account's session and its mailbox still open: what a long-lived event stream asks before each event */
    async stillOpen(account: Account): Promise<boolean> {
      if (!(await store.webSessions.find(account.session.tokenHash, new Date(clock())))) return false;
      return (await store.mailboxes.byId(account.mailbox.id))?.state === 'open';
    },

    async close(request: FastifyRequest, reply: FastifyReply): Promise<void> {
      if (request.account) await store.webSessions.remove(request.account.session.tokenHash);
      reply.clearCookie(SESSION_COOKIE, cookieOptions(request));
    },

    async closeAll(request: FastifyRequest, reply: FastifyReply): Promise<number> {
      const count = request.account ? await store.webSessions.removeAll(request.account.mailbox.id) : 0;
      reply.clearCookie(SESSION_COOKIE, cookieOptions(request));
      return count;
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;
