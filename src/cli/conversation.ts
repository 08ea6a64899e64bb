import { ValidationError } from '../errors.js';
import type { Command } from './command.js';

export const conversationCommands: Command[] = [
  {
    name: 'conversation close',
    usage: 'conversation close <ID>',
    summary: 'closes a conversation, as X-MSS-MES: FIN does: the citizen can no longer reply in it',
    args: [1, 1],
    async run(inv) {
      const text = inv.positionals[0]!;
      if (!/^\d+$/.test(text)) throw new ValidationError(`"${text}" is not a conversation id (a number)`);
      const store = inv.store();
      const conversation = await store.conversations.byId(Number(text));
      if (!conversation) throw new ValidationError(`no conversation ${text}`);
      if (!(await store.conversations.close(conversation.id))) throw new ValidationError(`conversation ${text} is already closed`);
      await store.audit.record({
        actor: 'cli',
        action: 'conversation.close',
        mailbox: conversation.citizen,
        target: `${conversation.id}`,
        outcome: 'ok',
        detail: `with ${conversation.professional}`,
      });
      inv.print(`conversation ${conversation.id} between ${conversation.professional} and ${conversation.citizen} closed`);
    },
  },
];
