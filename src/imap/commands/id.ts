/** ID (RFC 2971): the client may say who it is (logged, bounded); the server says its name. */
import { bad, ok, type CommandSpec } from '../command.js';
import { list, str, type ImapOut } from '../protocol/values.js';
import { astring } from '../protocol/parser.js';

const MAX_PAIRS = 30;

const SERVER: ImapOut = list([str('name'), str('mss-gateway'), str('vendor'), str('mss-gateway'), str('version'), str('0.1.0')]);

export const id: CommandSpec = {
  name: 'ID',
  states: ['not-authenticated', 'authenticated', 'selected'],
  async handle(ctx, command) {
    const [arg] = command.args;
    const usage = bad('Syntaxe : ID NIL ou ID ("clé" "valeur" …) / Syntax: ID NIL or ID ("key" "value" …)');
    if (command.args.length !== 1 || !arg) return usage;
    if (arg.type === 'list') {
      const items = arg.items;
      // RFC 2971 §3.3: at most 30 pairs, keys up to 30 bytes, values up to 1024.
      if (items.length % 2 !== 0 || items.length > MAX_PAIRS * 2) return usage;
      const client: Record<string, string> = {};
      for (let i = 0; i < items.length; i += 2) {
        const key = astring(items[i]);
        const value = items[i + 1]!.type === 'nil' ? null : astring(items[i + 1]);
        if (key === undefined || items[i]!.type === 'nil' || key.length > 30 || value === undefined || (value !== null && value.length > 1024)) return usage;
        if (value !== null) client[key.toLowerCase()] = value;
      }
      ctx.services.log.debug({ door: 'imap', session: ctx.session.id, client: { name: client.name, version: client.version } }, 'IMAP client ID');
    } else if (arg.type !== 'nil') {
      return usage;
    }
    ctx.untagged({ t: 'atom', v: 'ID' }, SERVER);
    return ok('ID terminé / ID completed');
  },
};
