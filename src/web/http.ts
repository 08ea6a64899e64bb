/**
 * The HTTP listener: liveness and metrics today; the JSON API and the webmail mount here later.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Metrics } from '../metrics.js';
import { clientSetupRoute, type ClientSetupDeps } from './autoconfig.js';

export type Route = (req: IncomingMessage, res: ServerResponse) => Promise<boolean> | boolean;

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(text);
}

export function createHttpServer(options: { metrics: Metrics; routes?: Route[]; clientSetup?: ClientSetupDeps }): Server {
  const routes: Route[] = [
    (req, res) => {
      if (req.url !== '/healthz') return false;
      json(res, 200, { status: 'ok' });
      return true;
    },
    async (req, res) => {
      if (req.url !== '/metrics') return false;
      const body = await options.metrics.registry.metrics();
      res.writeHead(200, { 'content-type': options.metrics.registry.contentType });
      res.end(body);
      return true;
    },
    // mail-client settings: Thunderbird autoconfig, Apple profile (src/web/autoconfig.ts)
    ...(options.clientSetup ? [clientSetupRoute(options.clientSetup)] : []),
    ...(options.routes ?? []),
  ];
  const server = createServer(async (req, res) => {
    try {
      for (const route of routes) if (await route(req, res)) return;
      json(res, 404, { error: { code: 'NOT_FOUND', message: `no such resource: ${req.method} ${req.url?.split('?')[0]}` } });
    } catch {
      if (!res.headersSent) json(res, 500, { error: { code: 'INTERNAL', message: 'internal error' } });
      else res.destroy();
    }
  });
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  return server;
}
