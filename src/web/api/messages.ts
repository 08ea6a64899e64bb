/** Placeholder: being written (issue 10). */
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../app.js';

export function messageRoutes(_api: FastifyInstance, _ctx: ApiContext): void {}
