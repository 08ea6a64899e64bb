/**
 * IDLE (RFC 2177): `+ idling`, then every change to the selected folder is said at once (the
 * session listens to the store's change feed, which hears other processes too), until DONE.
 */
import { bad, ok, type CommandSpec } from '../command.js';

export const idle: CommandSpec = {
  name: 'IDLE',
  states: ['authenticated', 'selected'],
  async handle(ctx, command) {
    if (command.args.length > 0) return bad('IDLE ne prend pas d\'argument / IDLE takes no argument');
    ctx.continuation('idling');
    const line = await ctx.session.idle();
    if (line.trim().toUpperCase() !== 'DONE') return bad('DONE attendu pour finir IDLE / Expected DONE to end IDLE');
    return ok('IDLE terminé / IDLE terminated');
  },
};
