/**
 * EXPUNGE (RFC 3501 §6.4.3) and UID EXPUNGE (RFC 4315 §2.1): the messages flagged \Deleted
 * leave the folder. The untagged EXPUNGE (or VANISHED) answers come from the session, which
 * says the journal's expunges before the tagged OK.
 */
import type { CommandSpec } from '../command.js';
import { bad, ok } from '../command.js';
import { answerFor, readOnlyMailbox, textArg, userOf } from './mailbox-args.js';

export const expunge: CommandSpec = {
  name: 'EXPUNGE',
  states: ['selected'],
  uid: true,
  async handle(ctx, command) {
    const { session, services } = ctx;
    const view = session.selected!;
    try {
      if (command.args.length !== (command.uid ? 1 : 0)) {
        return bad(command.uid ? 'UID EXPUNGE prend un ensemble d’UID / UID EXPUNGE takes a UID set' : 'EXPUNGE ne prend pas d’argument / EXPUNGE takes no argument');
      }
      if (view.readOnly) return readOnlyMailbox();
      const mailboxId = userOf(session).mailboxId;
      if (command.uid) {
        const uids = view.resolve(textArg(command.args[0], 'ensemble d’UID / UID set'), true);
        if (uids.length) await services.store.messages.expunge(mailboxId, view.folder.id, uids);
      } else {
        await services.store.messages.expunge(mailboxId, view.folder.id);
      }
      return ok('EXPUNGE terminé / EXPUNGE completed');
    } catch (error) {
      return answerFor(error);
    }
  },
};
