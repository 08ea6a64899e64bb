/**
 * DELETE (RFC 3501 §6.3.4): the folder and its messages. The standard folders stay (store:
 * PROTECTED); a folder with folders below it is refused (HAS_CHILDREN). Deleting the folder
 * this session has selected closes it, with OK [CLOSED] (RFC 7162 §3.2.11), as nothing in it
 * can be reached any more.
 */
import type { CommandSpec } from '../command.js';
import { ok } from '../command.js';
import { answerFor, ArgumentError, mailboxArg, userOf } from './mailbox-args.js';

export const del: CommandSpec = {
  name: 'DELETE',
  states: ['authenticated', 'selected'],
  async handle(ctx, command) {
    try {
      if (command.args.length !== 1) throw new ArgumentError('DELETE prend un nom de dossier / DELETE takes one mailbox name');
      const { session, services } = ctx;
      const mailboxId = userOf(session).mailboxId;
      const name = mailboxArg(command.args[0], session);
      const folder = await services.store.folders.byName(mailboxId, name);
      await services.store.folders.remove(mailboxId, name);
      if (folder && session.selected?.folder.id === folder.id) {
        session.unselect();
        ctx.untaggedText('OK [CLOSED] Le dossier sélectionné a été supprimé / The selected mailbox was deleted');
      }
      return ok('DELETE terminé / DELETE completed');
    } catch (error) {
      return answerFor(error);
    }
  },
};
