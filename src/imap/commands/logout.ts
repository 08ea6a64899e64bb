/** LOGOUT (RFC 3501 §6.1.3): BYE, the tagged OK, then the connection closes. */
import { ok, type CommandSpec } from '../command.js';

export const logout: CommandSpec = {
  name: 'LOGOUT',
  states: ['not-authenticated', 'authenticated', 'selected'],
  async handle(ctx) {
    ctx.untaggedText('BYE Déconnexion / Logging out');
    ctx.session.logout();
    return ok('LOGOUT terminé / LOGOUT completed');
  },
};
