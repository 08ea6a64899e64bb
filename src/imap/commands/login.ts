/** LOGIN (RFC 3501 §6.2.3): only under TLS (LOGINDISABLED before it). */
import { bad, type CommandSpec } from '../command.js';
import { astring } from '../protocol/parser.js';
import { PRIVACY_REQUIRED, loginOutcome } from './login-outcome.js';

export const login: CommandSpec = {
  name: 'LOGIN',
  states: ['not-authenticated'],
  async handle(ctx, command) {
    if (!ctx.session.loginAllowed) return PRIVACY_REQUIRED();
    const [user, password] = command.args.map(astring);
    if (command.args.length !== 2 || user === undefined || password === undefined) {
      return bad('Syntaxe : LOGIN utilisateur mot-de-passe / Syntax: LOGIN user password');
    }
    const result = await ctx.services.login.withPassword(user, password, ctx.session.clientIp, 'imap');
    return loginOutcome(ctx, result);
  },
};
