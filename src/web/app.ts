/**
 * The HTTP door: liveness and metrics, mail-client set-up, the JSON API and the webmail's
 * static files, on Fastify and its plugins (cookies, CSRF, rate limit, security headers,
 * compression, static files). The API's routes live in api/, one file per resource; each
 * reaches storage through the store interfaces and sends mail only through the pipeline.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import compress from '@fastify/compress';
import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import staticFiles from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { CLIENT_SETUP_PATHS, CLIENT_SETUP_PREFIX, clientSetupRoute, type ClientSetupDeps } from './autoconfig.js';
import { errorHandler } from './errors.js';
import { createSessions, notLoggedIn } from './sessions.js';
import { mailboxView } from './api/session.js';
import type { ApiContext, WebDeps } from './context.js';
import { loginRoutes, logoutRoutes } from './api/session.js';
import { messageRoutes } from './api/messages.js';
import { composeRoutes } from './api/compose.js';
import { settingsRoutes } from './api/settings.js';
import { eventRoutes } from './api/events.js';
import { recordRoutes } from './api/record.js';
import { activityRoutes } from './api/activity.js';
import { directoryRoutes } from './api/directory.js';

/** the empty session hint of public/index.html, filled for a logged-in page */
const SESSION_META = '<meta name="mss-session" content="">';
const escapeAttribute = (text: string) => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** what public/js/screens/inbox.js asks for first (keep the two the same) */
const FIRST_SCREEN_LIST = '/api/messages?folder=INBOX&limit=50';

const PUBLIC_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../public');

/** The webmail's page may load nothing from elsewhere and run no inline script. */
const CONTENT_SECURITY_POLICY = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:', 'blob:'],
    connectSrc: ["'self'"],
    fontSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  },
};

/**
 * The key that binds CSRF tokens to their session, kept in the data folder so that a restart
 * does not invalidate the pages open in browsers.
 */
function csrfKey(dataDir: string): string {
  const file = path.join(dataDir, 'web-csrf.key');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
  }
  return readFileSync(file, 'utf8').trim();
}

export async function createWebApp(deps: WebDeps): Promise<FastifyInstance> {
  const { config, log, metrics } = deps;
  const app = Fastify({
    logger: false,
    trustProxy: config.web.trustProxy.length > 0 ? config.web.trustProxy : false,
    bodyLimit: config.web.maxBodyBytes,
    // SIGTERM: the event streams and keep-alive connections are cut, not waited for.
    forceCloseConnections: true,
    connectionTimeout: 0,
    requestTimeout: 60_000,
    return503OnClosing: true,
  });
  app.server.headersTimeout = 20_000;
  app.setErrorHandler(errorHandler(log));
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: { code: 'NOT_FOUND', message: `Cette adresse n'existe pas : ${request.method} ${request.url.split('?')[0]}` } }),
  );

  await app.register(helmet, {
    contentSecurityPolicy: CONTENT_SECURITY_POLICY,
    // The webmail embeds nothing from elsewhere and is embedded nowhere.
    crossOriginEmbedderPolicy: true,
    referrerPolicy: { policy: 'no-referrer' },
  });
  await app.register(compress, { threshold: 1024 });
  await app.register(cookie);
  await app.register(csrf, {
    cookieKey: 'mssgw_csrf',
    cookieOpts: { path: '/', httpOnly: true, sameSite: 'strict', secure: 'auto' },
    getUserInfo: (request) => request.account?.session.tokenHash ?? '',
    csrfOpts: { userInfo: true, hmacKey: csrfKey(config.dataDir) },
  });
  await app.register(rateLimit, {
    global: false,
    max: config.web.rateLimitPerMinute,
    timeWindow: 60_000,
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/metrics', async (_request, reply) => {
    const body = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(body);
  });
  if (deps.clientSetup) mountClientSetup(app, deps.clientSetup);

  const sessions = createSessions(deps.store, config);
  const context: ApiContext = { ...deps, sessions };
  await app.register(
    async (api) => {
      api.addHook('onRequest', api.rateLimit());
      api.addHook('onRequest', async (request, reply) => {
        reply.header('cache-control', 'no-store');
      });
      // Logging in is the one call without a session (and without a CSRF token yet).
      loginRoutes(api, context);
      await api.register(async (private_) => {
        private_.addHook('onRequest', async (request) => {
          const account = await sessions.identify(request);
          if (!account) throw notLoggedIn();
          request.account = account;
        });
        private_.addHook('onRequest', async (request, reply) => {
          if (request.method === 'GET' || request.method === 'HEAD') return;
          await new Promise<void>((resolve, reject) => {
            app.csrfProtection(request, reply, (err?: Error) => (err ? reject(err) : resolve()));
          });
        });
        for (const routes of [logoutRoutes, messageRoutes, composeRoutes, settingsRoutes, eventRoutes, recordRoutes, activityRoutes, directoryRoutes]) routes(private_, context);
      });
    },
    { prefix: '/api' },
  );

  // The page itself says who is logged in (a <meta>, no inline script), so the webmail needs no
  // round trip to learn it; for a live session the browser is also told to fetch the inbox with
  // the page. On a slow phone network each round trip is 0.4 s or more.
  const page = readFileSync(path.join(PUBLIC_DIR, 'index.html'), 'utf8');
  const servePage = async (request: FastifyRequest, reply: FastifyReply) => {
    const account = await sessions.identify(request);
    let html = page;
    if (account) {
      request.account = account;
      const session = { csrf: reply.generateCsrf({ userInfo: account.session.tokenHash }), mailbox: mailboxView(account.mailbox) };
      html = page.replace(SESSION_META, `<meta name="mss-session" content="${escapeAttribute(JSON.stringify(session))}">`);
      reply.header('link', `<${FIRST_SCREEN_LIST}>; rel=preload; as=fetch; crossorigin=anonymous`);
    }
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(html);
  };
  app.get('/', servePage);
  app.get('/index.html', servePage);
  await app.register(staticFiles, { root: PUBLIC_DIR, index: false, cacheControl: true, maxAge: 0, wildcard: true });
  return app;
}

/** Thunderbird's autoconfig and the Apple profile (autoconfig.ts) answer on their own paths. */
function mountClientSetup(app: FastifyInstance, setup: ClientSetupDeps): void {
  const route = clientSetupRoute(setup);
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    reply.hijack();
    if (!(await route(request.raw, reply.raw))) reply.raw.writeHead(404).end();
  };
  // Every method: autoconfig.ts answers 405 for anything but GET.
  const method = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;
  for (const url of [...CLIENT_SETUP_PATHS, `${CLIENT_SETUP_PREFIX}*`]) app.route({ method: [...method], url, handler });
}
