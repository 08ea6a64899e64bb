/**
 * RENAME (RFC 3501 §6.3.5): the folder and every folder below it keep their messages and
 * UIDVALIDITY. Renaming INBOX moves its messages to the new folder and leaves INBOX empty
 * (the store does both in one transaction).
 */
import type { CommandSpec } from '../command.js';
import { ok } from '../command.js';
import { answerFor, ArgumentError, mailboxArg, userOf } from './mailbox-args.js';

export const rename: CommandSpec = {
  name: 'RENAME',
  states: ['authenticated', 'selected'],
  async handle(ctx, command) {
    try {
      if (command.args.length !== 2) throw new ArgumentError('RENAME prend deux noms de dossier / RENAME takes two mailbox names');
      const from = mailboxArg(command.args[0], ctx.session);
      const to = mailboxArg(command.args[1], ctx.session);
      await ctx.services.store.folders.rename(userOf(ctx.session).mailboxId, from, to);
      return ok('RENAME terminé / RENAME completed');
    } catch (error) {
      return answerFor(error);
    }
  },
};
