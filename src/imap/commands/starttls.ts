/**
 * STARTTLS (RFC 3501 §6.2.1): the OK is written in clear, then the handshake runs; whatever the
 * client pipelined after STARTTLS is dropped (connection.ts). Capabilities change under TLS:
 * the client asks again.
 */
import { bad, ok, type CommandSpec } from '../command.js';

export const starttls: CommandSpec = {
  name: 'STARTTLS',
  states: ['not-authenticated'],
  async handle(ctx, command) {
    if (command.args.length > 0) return bad('STARTTLS ne prend pas d\'argument / STARTTLS takes no argument');
    if (ctx.session.secure) return bad('La connexion est déjà chiffrée / TLS is already active');
    // The upgrade happens once the OK below is written; a failed handshake closes the connection.
    ctx.session.startTls().catch(() => undefined);
    return ok('Commencez la négociation TLS / Begin TLS negotiation now');
  },
};
