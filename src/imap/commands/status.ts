/**
 * STATUS (RFC 3501 §6.3.10) with HIGHESTMODSEQ (RFC 7162, a CONDSTORE-enabling item), SIZE
 * (RFC 8438) and APPENDLIMIT (RFC 7889). LIST … RETURN (STATUS …) answers with the same items.
 */
import type { Folder } from '../../store/types.js';
import type { CommandContext, CommandSpec } from '../command.js';
import { ok } from '../command.js';
import { atom, list, num, str, type ImapOut, type ImapValue } from '../protocol/values.js';
import { answerFor, ArgumentError, mailboxArg, noSuchFolder, userOf, wireName } from './mailbox-args.js';

const ITEMS = ['MESSAGES', 'RECENT', 'UIDNEXT', 'UIDVALIDITY', 'UNSEEN', 'HIGHESTMODSEQ', 'SIZE', 'APPENDLIMIT'] as const;
export type StatusItem = (typeof ITEMS)[number];

/** the items of a `(MESSAGES UNSEEN …)` list; BAD for anything else */
export function statusItems(value: ImapValue | undefined): StatusItem[] {
  if (value?.type !== 'list' || value.items.length === 0) {
    throw new ArgumentError('Liste d’éléments de STATUS attendue / A list of STATUS items is expected');
  }
  return value.items.map((item) => {
    const name = item.type === 'atom' ? item.value.toUpperCase() : '';
    if (!(ITEMS as readonly string[]).includes(name)) {
      throw new ArgumentError(`Élément de STATUS inconnu / Unknown STATUS item: ${item.type === 'atom' ? item.value : item.type}`);
    }
    return name as StatusItem;
  });
}

/** Says `* STATUS <name> (…)` for one folder. */
export async function sayStatus(ctx: CommandContext, folder: Folder, items: readonly StatusItem[]): Promise<void> {
  const status = await ctx.services.store.folders.status(folder.mailboxId, folder.id);
  const values: Record<StatusItem, number> = {
    MESSAGES: status.messages,
    RECENT: status.recent,
    UIDNEXT: status.uidNext,
    UIDVALIDITY: status.uidValidity,
    UNSEEN: status.unseen,
    HIGHESTMODSEQ: status.highestModseq,
    SIZE: status.size,
    APPENDLIMIT: ctx.services.config.limits.maxMessageBytes,
  };
  const out: ImapOut[] = [];
  for (const item of new Set(items)) out.push(atom(item), num(values[item]));
  // RFC 7162 §3.1: asking for HIGHESTMODSEQ turns CONDSTORE on for the session
  if (items.includes('HIGHESTMODSEQ')) ctx.session.condstore = true;
  ctx.untagged(atom('STATUS'), str(wireName(folder.name)), list(out));
}

export const status: CommandSpec = {
  name: 'STATUS',
  states: ['authenticated', 'selected'],
  async handle(ctx, command) {
    try {
      if (command.args.length !== 2) throw new ArgumentError('STATUS prend un dossier et une liste / STATUS takes a mailbox and a list');
      const name = mailboxArg(command.args[0], ctx.session);
      const items = statusItems(command.args[1]);
      const folder = await ctx.services.store.folders.byName(userOf(ctx.session).mailboxId, name);
      if (!folder) return noSuchFolder();
      await sayStatus(ctx, folder, items);
      return ok('STATUS terminé / STATUS completed');
    } catch (error) {
      return answerFor(error);
    }
  },
};
