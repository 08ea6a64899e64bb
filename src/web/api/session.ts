/**
 * POST /api/session logs in (citizens and professionals, through the same login and throttle
 * as SMTP and IMAP, door `webmail`); GET gives the CSRF token again after a page reload;
 * DELETE /api/session logs out, DELETE /api/sessions logs out everywhere.
 */
import { isIP } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Mailbox } from '../../domain/mailbox.js';
import type { ApiContext } from '../context.js';
import { ApiError } from '../errors.js';
import { body } from '../input.js';
import { notLoggedIn, type Account } from '../sessions.js';

const Login = z.object({ address: z.string().trim().min(1).max(320), password: z.string().min(1).max(1024) });

export function mailboxView(mailbox: Mailbox) {
  return { address: mailbox.address, kind: mailbox.kind, displayName: mailbox.displayName, pharmacy: mailbox.pharmacy };
}

/** A password crosses the network only under TLS: HTTPS (directly or via a trusted proxy) or loopback. */
function privateEnough(request: FastifyRequest): boolean {
  if (request.protocol === 'https') return true;
  const ip = request.ip.replace(/^::ffff:/, '');
  return (isIP(ip) === 4 && ip.startsWith('127.')) || ip === '::1';
}

function tooManyAttempts(retryAfterSeconds: number): ApiError {
  const minutes = Math.ceil(retryAfterSeconds / 60);
  return new ApiError(
    429,
    'TOO_MANY_ATTEMPTS',
    `Trop de tentatives de connexion : réessayez dans ${minutes} minute${minutes > 1 ? 's' : ''}.`,
    { 'retry-after': String(retryAfterSeconds) },
  );
}

async function answer(account: Account, reply: FastifyReply) {
  const csrf = reply.generateCsrf({ userInfo: account.session.tokenHash });
  return { csrf, mailbox: mailboxView(account.mailbox) };
}

export function loginRoutes(api: FastifyInstance, ctx: ApiContext): void {
  const { login, sessions, store, config } = ctx;
  /**
   * `web.loginRatePerMinute`, counted apart from the API's own limit. Not `api.rateLimit()` as a
   * route hook: @fastify/rate-limit runs only the first of its hooks on a request, and the
   * API's limit (app.ts) comes first, so that login limit never counted anything. Too many
   * logins is the login's own refusal, 429 TOO_MANY_ATTEMPTS with what is left of the window.
   */
  const loginLimit = api.createRateLimit({ max: config.web.loginRatePerMinute, timeWindow: 60_000 });

  api.post(
    '/session',
    {
      onRequest: async (request) => {
        const limit = await loginLimit(request);
        if (!limit.isAllowed && limit.isExceeded) throw tooManyAttempts(Math.max(1, limit.ttlInSeconds));
      },
    },
    async (request, reply) => {
      const { address, password } = body(Login, request, 'Indiquez votre adresse de messagerie et votre mot de passe.');
      if (!privateEnough(request)) {
        throw new ApiError(403, 'TLS_REQUIRED', 'Connexion refusée : utilisez l’adresse sécurisée (https) du webmail.');
      }
      const result = await login.withPassword(address, password, request.ip, 'webmail');
      if (!result.ok) {
        if (result.reason === 'blocked') throw tooManyAttempts(result.retryAfterSeconds);
        if (result.reason === 'not-allowed') {
          throw new ApiError(403, 'LOGIN_NOT_ALLOWED', 'Cette boîte de messagerie est fermée : elle ne permet plus de se connecter.');
        }
        throw new ApiError(401, 'INVALID_CREDENTIALS', 'Adresse de messagerie ou mot de passe incorrect.');
      }
      const account = await sessions.open(result.mailbox, request, reply);
      request.account = account;
      await store.audit.record({ actor: result.mailbox.address, action: 'login', mailbox: result.mailbox.address, target: null, outcome: 'ok', detail: 'webmail' });
      return answer(account, reply);
    },
  );

  api.get('/session', async (request, reply) => {
    const account = await sessions.identify(request);
    if (!account) throw notLoggedIn();
    request.account = account;
    return answer(account, reply);
  });
}

export function logoutRoutes(api: FastifyInstance, ctx: ApiContext): void {
  const { sessions, store } = ctx;
  api.delete('/session', async (request, reply) => {
    await sessions.close(request, reply);
    return reply.status(204).send();
  });
  api.delete('/sessions', async (request, reply) => {
    const address = request.account!.mailbox.address;
    const count = await sessions.closeAll(request, reply);
    await store.audit.record({ actor: address, action: 'logout-everywhere', mailbox: address, target: null, outcome: 'ok', detail: `${count} session(s)` });
    return reply.status(204).send();
  });
}

