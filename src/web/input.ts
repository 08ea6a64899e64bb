/** Request bodies and parameters read with zod: a bad input is a 400 that says what to fix, in French. */
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { badRequest, notFound } from './errors.js';

export function body<T extends z.ZodType>(schema: T, request: FastifyRequest, message: string): z.infer<T> {
  const parsed = schema.safeParse(request.body ?? {});
  if (!parsed.success) throw badRequest(message);
  return parsed.data;
}

/** A numeric id in the path; anything else is answered as an id that does not exist. */
export function idParam(request: FastifyRequest, name: string, what?: string): number {
  const text = (request.params as Record<string, string | undefined>)[name] ?? '';
  if (!/^\d{1,15}$/.test(text)) throw notFound(what);
  return Number(text);
}
