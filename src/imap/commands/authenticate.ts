/**
 * AUTHENTICATE (RFC 3501 §6.2.2) with PLAIN (RFC 4616) and EXTERNAL (the client certificate
 * verified during the TLS handshake), the first response inline (SASL-IR, RFC 4959) or after
 * an empty continuation. `*` cancels.
 */
import { bad, no, type CommandResult, type CommandSpec } from '../command.js';
import { astring } from '../protocol/parser.js';
import { PRIVACY_REQUIRED, loginOutcome } from './login-outcome.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

class Cancelled extends Error {}

function decode(text: string): Buffer | undefined {
  if (text === '=') return Buffer.alloc(0);
  return BASE64.test(text) ? Buffer.from(text, 'base64') : undefined;
}

export const authenticate: CommandSpec = {
  name: 'AUTHENTICATE',
  states: ['not-authenticated'],
  async handle(ctx, command): Promise<CommandResult> {
    const { session } = ctx;
    const mechanism = astring(command.args[0])?.toUpperCase();
    const initial = command.args.length > 1 ? astring(command.args[1]) : undefined;
    if (!mechanism || command.args.length > 2 || (command.args.length === 2 && initial === undefined)) {
      return bad('Syntaxe : AUTHENTICATE mécanisme [réponse] / Syntax: AUTHENTICATE mechanism [initial-response]');
    }
    if (!session.loginAllowed) return PRIVACY_REQUIRED();
    if (mechanism !== 'PLAIN' && mechanism !== 'EXTERNAL') {
      return no('Mécanisme d\'authentification non pris en charge (PLAIN, EXTERNAL) / Unsupported authentication mechanism (PLAIN, EXTERNAL)', 'CANNOT');
    }
    const response = async (): Promise<string> => {
      if (initial !== undefined) return initial;
      ctx.continuation('');
      const line = (await session.readLine()).trim();
      if (line === '*') throw new Cancelled();
      return line;
    };
    let bytes: Buffer | undefined;
    try {
      bytes = decode(await response());
    } catch (err) {
      if (err instanceof Cancelled) return bad('Authentification annulée / Authentication cancelled');
      throw err;
    }
    if (!bytes) return bad('Réponse base64 invalide / Invalid base64 response');
    const ip = session.clientIp;
    if (mechanism === 'EXTERNAL') {
      const peer = session.peer;
      const result = await ctx.services.login.withCertificate(peer?.authorized ? peer.names : undefined, bytes.toString('utf8'), ip, 'imap');
      return loginOutcome(ctx, result);
    }
    const parts = bytes.toString('utf8').split('\0');
    if (parts.length !== 3) return bad('Réponse PLAIN mal formée / Malformed PLAIN response');
    const [authzid = '', user = '', password = ''] = parts;
    const result = await ctx.services.login.withPassword(user, password, ip, 'imap', authzid);
    return loginOutcome(ctx, result);
  },
};
