/**
 * COPY / UID COPY (RFC 3501 §6.4.7) and MOVE / UID MOVE (RFC 6851), with COPYUID (RFC 4315).
 * The target must be a folder of the same mailbox (the store refuses any other); a missing one
 * gets TRYCREATE. MOVE says `* OK [COPYUID …]` first; the EXPUNGE (or VANISHED) answers for the
 * moved messages follow from the session, before the tagged OK, as RFC 6851 §3.3 orders.
 */
import type { CopyOutcome } from '../../store/types.js';
import type { CommandContext, CommandResult, CommandSpec } from '../command.js';
import { bad, ok } from '../command.js';
import type { ParsedCommand } from '../protocol/values.js';
import { formatSequenceSet } from '../sequence.js';
import { answerFor, mailboxArg, noSuchFolder, readOnlyMailbox, textArg, userOf } from './mailbox-args.js';

function copyUid(outcome: CopyOutcome): string | undefined {
  if (outcome.pairs.length === 0) return undefined;
  // sources ascend and their new UIDs were given in the same order: each set lists in step
  const sources = formatSequenceSet(outcome.pairs.map(([s]) => s));
  const targets = formatSequenceSet(outcome.pairs.map(([, t]) => t));
  return `COPYUID ${outcome.uidValidity} ${sources} ${targets}`;
}

async function transfer(ctx: CommandContext, command: ParsedCommand, move: boolean): Promise<CommandResult> {
  const { session, services } = ctx;
  const word = move ? 'MOVE' : 'COPY';
  const view = session.selected!;
  if (command.args.length !== 2) return bad(`${word} prend un ensemble de messages et un dossier / ${word} takes a message set and a mailbox`);
  if (move && view.readOnly) return readOnlyMailbox();
  const uids = view.resolve(textArg(command.args[0], 'ensemble de messages / message set'), command.uid);
  const name = mailboxArg(command.args[1], session);
  const mailboxId = userOf(session).mailboxId;
  const target = await services.store.folders.byName(mailboxId, name);
  if (!target) return noSuchFolder({ target: true });
  if (uids.length === 0) return ok(`Aucun message à traiter / No message to ${move ? 'move' : 'copy'}`);
  if (!move) {
    const outcome = await services.store.messages.copy(mailboxId, view.folder.id, uids, target.id);
    return ok('COPY terminé / COPY completed', copyUid(outcome));
  }
  const outcome = await services.store.messages.move(mailboxId, view.folder.id, uids, target.id);
  const code = copyUid(outcome);
  if (code) ctx.untaggedText(`OK [${code}] Messages déplacés / Messages moved`);
  return ok('MOVE terminé / MOVE completed');
}

function transferring(name: 'COPY' | 'MOVE'): CommandSpec {
  return {
    name,
    states: ['selected'],
    uid: true,
    async handle(ctx, command) {
      try {
        return await transfer(ctx, command, name === 'MOVE');
      } catch (error) {
        return answerFor(error, { target: true });
      }
    },
  };
}

export const copy = transferring('COPY');
export const move = transferring('MOVE');
