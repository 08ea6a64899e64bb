/**
 * The API's errors: `{"error":{"code","message"}}`, the message in plain French for a person.
 * A refusal of the pipeline keeps its code and its French words (domain/refusals.ts); anything
 * unexpected is a 500 that says nothing of the inside.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Refusal } from '../domain/refusals.js';
import type { Logger } from '../log.js';

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const notFound = (what = 'Cet élément') => new ApiError(404, 'NOT_FOUND', `${what} n'existe pas ou ne vous appartient pas.`);
export const badRequest = (message: string, code = 'BAD_REQUEST') => new ApiError(400, code, message);

/** The HTTP status of a refusal: rules 403, a missing mailbox 404, size 413, documents 422. */
export function refusalStatus(refusal: Refusal): number {
  if (refusal.code === 'MAILBOX_UNAVAILABLE') return 404;
  if (refusal.code === 'INVALID_INS' || refusal.code === 'INVALID_ADDRESS') return 400;
  if (refusal.kind === 'size') return 413;
  if (refusal.kind === 'document') return 422;
  return 403;
}

export function refusalError(refusal: Refusal): ApiError {
  return new ApiError(refusalStatus(refusal), refusal.code, `${refusal.fr}.`);
}

/** Fastify's own errors (body too large, bad JSON, rate limit) in the same shape and language. */
function frameworkError(err: FastifyError): ApiError | undefined {
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new ApiError(413, 'TOO_LARGE', 'La requête est trop volumineuse.');
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return badRequest('Le corps de la requête doit être du JSON.');
  // Fastify 5 reports a body that does not parse as FST_ERR_CTP_INVALID_JSON_BODY (no longer a
  // SyntaxError): without it here, malformed JSON was a 500 logged as our own failure.
  if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError) {
    return badRequest("Le corps de la requête n'est pas du JSON valide.");
  }
  if (err.statusCode === 429) return new ApiError(429, 'TOO_MANY_REQUESTS', 'Trop de requêtes : patientez une minute avant de réessayer.');
  if (err.code === 'FST_CSRF_INVALID_TOKEN' || err.code === 'FST_CSRF_MISSING_SECRET') {
    return new ApiError(403, 'CSRF', 'Votre session a expiré ou la page est trop ancienne : rechargez la page.');
  }
  if (err.validation) return badRequest(`Requête invalide : ${err.message}`);
  if (err.statusCode === 404) return notFound('Cette adresse');
  // Any other request Fastify itself refuses (a bad Content-Length, a malformed header…) is the
  // client's error, not a 500 of ours.
  if (typeof err.code === 'string' && err.code.startsWith('FST_') && err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    return badRequest('Requête invalide.');
  }
  return undefined;
}

export function errorHandler(log: Logger) {
  return (err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const known = err instanceof ApiError ? err : frameworkError(err);
    if (!known) {
      log.error({ err, door: 'webmail', method: request.method, url: request.routeOptions.url }, 'web request failed');
      return reply.status(500).send({ error: { code: 'INTERNAL', message: 'Une erreur est survenue de notre côté. Réessayez plus tard.' } });
    }
    for (const [name, value] of Object.entries(known.headers)) reply.header(name, value);
    if (known.status === 429 && !known.headers['retry-after']) reply.header('retry-after', '60');
    return reply.status(known.status).send({ error: { code: known.code, message: known.message } });
  };
}
