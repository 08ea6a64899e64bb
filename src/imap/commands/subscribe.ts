/**
 * SUBSCRIBE and UNSUBSCRIBE (RFC 3501 §6.3.6-7). Only existing folders can be subscribed (the
 * RFC lets a server refuse others); the mark goes with the folder through RENAME and DELETE.
 */
import type { CommandSpec } from '../command.js';
import { ok } from '../command.js';
import { answerFor, ArgumentError, mailboxArg, userOf } from './mailbox-args.js';

function subscription(name: 'SUBSCRIBE' | 'UNSUBSCRIBE'): CommandSpec {
  const subscribed = name === 'SUBSCRIBE';
  return {
    name,
    states: ['authenticated', 'selected'],
    async handle(ctx, command) {
      try {
        if (command.args.length !== 1) throw new ArgumentError(`${name} prend un nom de dossier / ${name} takes one mailbox name`);
        const folder = mailboxArg(command.args[0], ctx.session);
        await ctx.services.store.folders.subscribe(userOf(ctx.session).mailboxId, folder, subscribed);
        return ok(`${name} terminé / ${name} completed`);
      } catch (error) {
        return answerFor(error);
      }
    },
  };
}

export const subscribe = subscription('SUBSCRIBE');
export const unsubscribe = subscription('UNSUBSCRIBE');
