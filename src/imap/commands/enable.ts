/**
 * ENABLE (RFC 5161): CONDSTORE and QRESYNC (RFC 7162, QRESYNC implying CONDSTORE), when the
 * server offers them. Unknown extensions are ignored, as the RFC says.
 */
import { bad, ok, type CommandSpec } from '../command.js';

export const enable: CommandSpec = {
  name: 'ENABLE',
  states: ['authenticated'],
  async handle(ctx, command) {
    if (command.args.length === 0 || command.args.some((a) => a.type !== 'atom')) {
      return bad('Syntaxe : ENABLE extension… / Syntax: ENABLE extension…');
    }
    const { session } = ctx;
    const offered = new Set(session.capabilities());
    const now: string[] = [];
    for (const arg of command.args) {
      const name = (arg as { value: string }).value.toUpperCase();
      if ((name !== 'CONDSTORE' && name !== 'QRESYNC') || !offered.has(name)) continue;
      if (!session.enabled.has(name) && !now.includes(name)) now.push(name);
    }
    for (const name of now) session.enabled.add(name);
    if (session.enabled.has('QRESYNC')) session.enabled.add('CONDSTORE');
    if (session.enabled.has('CONDSTORE')) session.condstore = true;
    ctx.untaggedText(now.length > 0 ? `ENABLED ${now.join(' ')}` : 'ENABLED');
    return ok('ENABLE terminé / ENABLE completed');
  },
};
