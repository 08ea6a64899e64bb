/**
 * CREATE (RFC 3501 §6.3.3). Superior levels are not created: the store shows a missing parent
 * as \Noselect in LIST, and a parent that exists could not be deleted while it has children.
 */
import type { CommandSpec } from '../command.js';
import { ok } from '../command.js';
import { answerFor, ArgumentError, mailboxArg, userOf } from './mailbox-args.js';

export const create: CommandSpec = {
  name: 'CREATE',
  states: ['authenticated', 'selected'],
  async handle(ctx, command) {
    try {
      if (command.args.length !== 1) throw new ArgumentError('CREATE prend un nom de dossier / CREATE takes one mailbox name');
      const name = mailboxArg(command.args[0], ctx.session);
      await ctx.services.store.folders.create(userOf(ctx.session).mailboxId, name);
      return ok('CREATE terminé / CREATE completed');
    } catch (error) {
      return answerFor(error);
    }
  },
};
