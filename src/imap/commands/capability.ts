/** CAPABILITY (RFC 3501 §6.1.1): what this server does, as the session's state allows. */
import { ok, type CommandSpec } from '../command.js';

export const capability: CommandSpec = {
  name: 'CAPABILITY',
  states: ['not-authenticated', 'authenticated', 'selected'],
  async handle(ctx) {
    ctx.untaggedText(`CAPABILITY ${ctx.session.capabilities().join(' ')}`);
    return ok('CAPABILITY terminé / CAPABILITY completed');
  },
};
