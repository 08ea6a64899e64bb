/**
 * CLOSE (RFC 3501 §6.4.2) and UNSELECT (RFC 3691): back to the authenticated state. CLOSE on a
 * read-write folder first removes the messages flagged \Deleted, silently: the view is let go
 * before the expunge, so no EXPUNGE answer follows.
 */
import type { CommandSpec } from '../command.js';
import { bad, ok } from '../command.js';
import { userOf } from './mailbox-args.js';

export const close: CommandSpec = {
  name: 'CLOSE',
  states: ['selected'],
  async handle(ctx, command) {
    if (command.args.length) return bad('CLOSE ne prend pas d’argument / CLOSE takes no argument');
    const { session, services } = ctx;
    const view = session.selected!;
    session.unselect();
    if (!view.readOnly) {
      try {
        await services.store.messages.expunge(userOf(session).mailboxId, view.folder.id);
      } catch {
        // RFC 3501: CLOSE completes even when the expunge cannot (the folder was deleted)
      }
    }
    return ok('CLOSE terminé / CLOSE completed');
  },
};

export const unselect: CommandSpec = {
  name: 'UNSELECT',
  states: ['selected'],
  async handle(ctx, command) {
    if (command.args.length) return bad('UNSELECT ne prend pas d’argument / UNSELECT takes no argument');
    ctx.session.unselect();
    return ok('UNSELECT terminé / UNSELECT completed');
  },
};
