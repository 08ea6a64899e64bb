/**
 * STORE and UID STORE (RFC 3501 §6.4.6), with UNCHANGEDSINCE and MODIFIED (RFC 7162 §3.1.3).
 * The store makes the change in one transaction and says which messages changed; the answer
 * gives every message of the set its flags (UID under UID STORE; UID and MODSEQ once CONDSTORE
 * is on, RFC 7162 §3.1), none with .SILENT, except that a conditional STORE always tells the
 * new MODSEQs.
 */
import { StoreRefusal, SYSTEM_FLAGS, type FlagChange, type FlagOutcome } from '../../store/types.js';
import type { CommandContext, CommandResult, CommandSpec, SelectedFolder } from '../command.js';
import { bad, condstoreOn, no, ok } from '../command.js';
import { flagsOut, modseqOut } from '../fetch/answer.js';
import { atom, list, num, type ImapOut, type ImapValue } from '../protocol/values.js';
import { formatSequenceSet } from '../sequence.js';
import { readOnlyMailbox } from './mailbox-args.js';

const ITEM = /^([+-]?)FLAGS(\.SILENT)?$/i;
/** RFC 3501 flag-keyword: an atom (no atom-specials, no `]`), 7-bit */
const KEYWORD = /^[^\x00-\x20\x7f-\xff(){%*"\\\]]+$/;
/** RFC 7162 mod-sequence-valzer */
const MODSEQ = /^[0-9]{1,19}$/;
const PAGE = 256;

class StoreSyntaxError extends Error {}

/** A flag as the store keeps it: system flags in their canonical case (RFC 3501 §2.3.2). */
function flagOf(value: ImapValue): string | undefined {
  if (value.type !== 'atom' || value.section || value.partial) throw new StoreSyntaxError('Drapeau invalide / Invalid flag');
  const text = value.value;
  if (text.startsWith('\\')) {
    const lower = text.toLowerCase();
    if (lower === '\\recent') return undefined; // the session's own flag: never stored (RFC 3501 §2.3.2)
    const system = SYSTEM_FLAGS.find((f) => f.toLowerCase() === lower);
    if (!system) throw new StoreSyntaxError(`Drapeau système inconnu ${text} / Unknown system flag ${text}`);
    return system;
  }
  if (!KEYWORD.test(text)) throw new StoreSyntaxError(`Mot-clé invalide ${text} / Invalid keyword ${text}`);
  return text;
}

interface StoreRequest {
  set: string;
  change: FlagChange;
  silent: boolean;
  unchangedSince?: number;
}

function parse(args: readonly ImapValue[]): StoreRequest {
  const [setArg, ...rest] = args;
  if (setArg?.type !== 'atom' || setArg.section || setArg.partial) throw new StoreSyntaxError('Ensemble de messages attendu / Message set expected');
  let unchangedSince: number | undefined;
  if (rest[0]?.type === 'list') {
    const mods = rest.shift() as Extract<ImapValue, { type: 'list' }>;
    const [name, value, ...more] = mods.items;
    if (name?.type !== 'atom' || name.value.toUpperCase() !== 'UNCHANGEDSINCE' || value?.type !== 'atom' || !MODSEQ.test(value.value) || more.length) {
      throw new StoreSyntaxError('Seul le modificateur UNCHANGEDSINCE n’est connu / Only the UNCHANGEDSINCE modifier is known');
    }
    unchangedSince = Number(value.value);
  }
  const [item, ...values] = rest;
  const match = item?.type === 'atom' ? ITEM.exec(item.value) : null;
  if (!match) throw new StoreSyntaxError('FLAGS, +FLAGS ou -FLAGS attendu / FLAGS, +FLAGS or -FLAGS expected');
  let raw: ImapValue[];
  if (values.length === 1 && values[0]!.type === 'list') raw = values[0]!.items;
  else if (values.length > 0 && values.every((v) => v.type === 'atom')) raw = values;
  else throw new StoreSyntaxError('Liste de drapeaux attendue / Flag list expected');
  const flags = [...new Set(raw.map(flagOf).filter((f): f is string => f !== undefined))];
  const op = match[1] === '+' ? 'add' : match[1] === '-' ? 'remove' : 'replace';
  return { set: setArg.value, change: { op, flags }, silent: match[2] !== undefined, unchangedSince };
}

/** The answers for the messages of the set, their flags as they are now. */
async function tell(ctx: CommandContext, view: SelectedFolder, uids: number[], request: StoreRequest, byUid: boolean, outcome: FlagOutcome): Promise<void> {
  const { session, services } = ctx;
  const condstore = condstoreOn(session);
  const conditional = request.unchangedSince !== undefined;
  // The client knows what its own STORE did: the session's next sync need not echo it.
  for (const u of outcome.updated) view.told?.(u.uid, u.modseq);
  if (request.silent && !conditional) return;
  const updated = new Map(outcome.updated.map((u) => [u.uid, u]));
  const conflicts = new Set(outcome.conflicts);
  const say = (uid: number, flags: string[], modseq: number, withFlags: boolean): void => {
    const seq = view.seqOf(uid);
    if (seq === undefined) return;
    const items: ImapOut[] = [];
    if (withFlags) items.push(atom('FLAGS'), flagsOut(flags, view.isRecent(uid)));
    // RFC 7162 §3.1: under CONDSTORE a plain STORE's answers carry the UID too.
    if (byUid || condstore || conditional) items.push(atom('UID'), num(uid));
    if (condstore || conditional) items.push(atom('MODSEQ'), modseqOut(modseq));
    ctx.untagged(num(seq), atom('FETCH'), list(items));
  };
  for (let from = 0; from < uids.length; from += PAGE) {
    const page = uids.slice(from, from + PAGE).filter((uid) => !conflicts.has(uid));
    if (request.silent) {
      // RFC 7162 §3.1.3: a conditional STORE tells the new MODSEQ even when silent.
      for (const uid of page) {
        const u = updated.get(uid);
        if (u) say(uid, u.flags, u.modseq, false);
      }
    } else {
      // Messages the store left as they were (the flags already so) are told as they are.
      const unchanged = page.filter((uid) => !updated.has(uid));
      const current = unchanged.length ? await services.store.messages.fetch(view.folder.mailboxId, view.folder.id, unchanged) : [];
      const rows = new Map(current.map((m) => [m.uid, m]));
      for (const uid of page) {
        const now = updated.get(uid) ?? rows.get(uid);
        if (now) say(uid, now.flags, now.modseq, true);
      }
    }
    await ctx.drain();
  }
}

export const store: CommandSpec = {
  name: 'STORE',
  states: ['selected'],
  uid: true,
  async handle(ctx, command): Promise<CommandResult> {
    const { session, services } = ctx;
    const view = session.selected!;
    const word = command.uid ? 'UID STORE' : 'STORE';
    let request: StoreRequest;
    try {
      request = parse(command.args);
    } catch (err) {
      if (err instanceof StoreSyntaxError) return bad(`${word} : ${err.message}`);
      throw err;
    }
    if (view.readOnly) return readOnlyMailbox();
    // RFC 7162 §3.1: UNCHANGEDSINCE turns CONDSTORE on for the session.
    if (request.unchangedSince !== undefined) session.condstore = true;
    const uids = view.resolve(request.set, command.uid);
    if (uids.length === 0) return ok(`${word} terminé / ${word} completed`);
    let outcome;
    try {
      outcome = await services.store.messages.setFlags(view.folder.mailboxId, view.folder.id, uids, request.change, { unchangedSince: request.unchangedSince });
    } catch (err) {
      if (err instanceof StoreRefusal && err.code === 'LIMIT') {
        return no(`Trop de mots-clés ou drapeau refusé / Too many keywords or a flag that cannot be stored (${err.message})`, 'LIMIT');
      }
      throw err;
    }
    await tell(ctx, view, uids, request, command.uid, outcome);
    if (outcome.conflicts.length) {
      const named = command.uid ? outcome.conflicts : outcome.conflicts.map((uid) => view.seqOf(uid)).filter((n): n is number => n !== undefined);
      return ok(
        `${word} fait, sauf pour les messages modifiés depuis UNCHANGEDSINCE / ${word} done, except for messages modified since UNCHANGEDSINCE`,
        `MODIFIED ${formatSequenceSet(named.sort((a, b) => a - b))}`,
      );
    }
    return ok(`${word} terminé / ${word} completed`);
  },
};
