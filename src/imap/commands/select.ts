/**
 * SELECT and EXAMINE (RFC 3501 §6.3.1-2) with the CONDSTORE and QRESYNC parameters (RFC 7162
 * §3.1.8, §3.2.5). The answer says what a client needs to number and cache the folder; a
 * QRESYNC client also learns, at once, what was expunged (VANISHED (EARLIER)) and which flags
 * changed since the MODSEQ it remembers, so it resynchronises without fetching the folder.
 * The session keeps the view (selected.ts); changes after the SELECT reach it from there.
 */
import { SYSTEM_FLAGS } from '../../store/types.js';
import type { CommandContext, CommandResult, CommandSpec, SelectedFolder } from '../command.js';
import { bad, ok } from '../command.js';
import { flagUpdate } from '../fetch/answer.js';
import { atom, list, num, type ImapValue } from '../protocol/values.js';
import { formatSequenceSet, parseSequenceSet, SequenceError, type SequenceRange } from '../sequence.js';
import { answerFor, ArgumentError, mailboxArg, noSuchFolder, userOf } from './mailbox-args.js';

interface Qresync {
  uidValidity: number;
  modseq: number;
  /** the UIDs the client knows, `*` excluded by RFC 7162 */
  knownUids?: SequenceRange[];
}

interface SelectParams {
  condstore: boolean;
  qresync?: Qresync;
}

function positive(value: ImapValue | undefined, what: string): number {
  const text = value?.type === 'atom' ? value.value : '';
  if (!/^[1-9]\d{0,19}$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new ArgumentError(`${what} invalide dans QRESYNC / Invalid ${what} in QRESYNC`);
  }
  return Number(text);
}

function parseParams(value: ImapValue | undefined, qresyncEnabled: boolean): SelectParams {
  const params: SelectParams = { condstore: false };
  if (value === undefined) return params;
  if (value.type !== 'list') throw new ArgumentError('Paramètres de SELECT entre parenthèses / SELECT parameters must be a list');
  const items = value.items;
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    const name = item.type === 'atom' ? item.value.toUpperCase() : '';
    if (name === 'CONDSTORE') {
      params.condstore = true;
    } else if (name === 'QRESYNC') {
      // RFC 7162 §3.2.5: only once the client has ENABLEd QRESYNC
      if (!qresyncEnabled) throw new ArgumentError('Envoyez ENABLE QRESYNC d’abord / ENABLE QRESYNC first');
      const args = items[++i];
      if (args?.type !== 'list' || args.items.length < 2 || args.items.length > 4) {
        throw new ArgumentError('QRESYNC attend (uidvalidity modseq [uids connus]) / QRESYNC takes (uidvalidity modseq [known-uids])');
      }
      const [validity, modseq, known] = args.items;
      params.qresync = { uidValidity: positive(validity, 'UIDVALIDITY'), modseq: positive(modseq, 'MODSEQ') };
      if (known) {
        const text = known.type === 'atom' ? known.value : '';
        if (text.includes('*')) throw new ArgumentError('« * » interdit dans les UID connus / "*" is not allowed in known-uids');
        params.qresync.knownUids = parseSequenceSet(text);
      }
      // the fourth item (sequence match data) only narrows what we can compute exactly
    } else {
      throw new ArgumentError(`Paramètre de SELECT inconnu / Unknown SELECT parameter: ${item.type === 'atom' ? item.value : item.type}`);
    }
  }
  return params;
}

/** the sequence number of the first UID ≥ `uid`, or exists + 1 */
function firstSeqFrom(view: SelectedFolder, uid: number): number {
  let lo = 1;
  let hi = view.exists + 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (view.uidAt(mid)! < uid) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** known UIDs that are no longer in the folder (each range minus what the view holds), as a set */
function missingFrom(view: SelectedFolder, known: SequenceRange[]): string {
  const gaps: string[] = [];
  const gap = (from: number, to: number) => {
    if (from <= to) gaps.push(from === to ? `${from}` : `${from}:${to}`);
  };
  let last = 0;
  for (const range of [...known].sort((a, b) => a.from - b.from)) {
    let cursor = Math.max(range.from, last + 1);
    const to = Math.min(range.to, view.folder.uidNext - 1);
    for (let seq = firstSeqFrom(view, cursor); seq <= view.exists && view.uidAt(seq)! <= to; seq++) {
      gap(cursor, view.uidAt(seq)! - 1);
      cursor = view.uidAt(seq)! + 1;
    }
    gap(cursor, to);
    last = Math.max(last, to);
  }
  return gaps.join(',');
}

/** RFC 7162 §3.2.5.1: VANISHED (EARLIER) then a FETCH for each message changed since the client's MODSEQ */
async function resynchronise(ctx: CommandContext, view: SelectedFolder, q: Qresync): Promise<void> {
  const { folder } = view;
  const changes = await ctx.services.store.messages.changes(folder.mailboxId, folder.id, q.modseq);
  const known = q.knownUids ?? [{ from: 1, to: folder.uidNext - 1 }];
  let vanished: string;
  if (changes.incomplete) {
    // the journal no longer reaches back that far: every known UID that is gone
    vanished = missingFrom(view, known);
  } else {
    const inKnown = (uid: number) => known.some((r) => uid >= r.from && uid <= r.to);
    // a UID the view still holds was expunged after the SELECT: the session says it later
    vanished = formatSequenceSet(changes.expunged.filter((uid) => inKnown(uid) && view.seqOf(uid) === undefined));
  }
  if (vanished) ctx.untagged(atom('VANISHED'), list([atom('EARLIER')]), atom(vanished));
  for (const message of changes.changed) {
    const seq = view.seqOf(message.uid);
    if (seq === undefined) continue; // new since the SELECT: EXISTS comes first, from the session
    ctx.untagged(...flagUpdate(seq, message.uid, message.flags, view.isRecent(message.uid), message.modseq));
  }
}

async function open(ctx: CommandContext, args: ImapValue[], readOnly: boolean): Promise<CommandResult> {
  const { session, services } = ctx;
  const word = readOnly ? 'EXAMINE' : 'SELECT';
  if (args.length < 1 || args.length > 2) return bad(`${word} prend un dossier et des paramètres / ${word} takes a mailbox and optional parameters`);
  const name = mailboxArg(args[0], session);
  const params = parseParams(args[1], session.enabled.has('QRESYNC'));
  const mailboxId = userOf(session).mailboxId;
  const folder = await services.store.folders.byName(mailboxId, name);
  if (!folder) {
    // RFC 3501 §6.3.1: a failed SELECT leaves no folder selected
    if (session.selected) {
      session.unselect();
      if (session.enabled.has('QRESYNC')) ctx.untaggedText('OK [CLOSED] Dossier précédent fermé / Previous mailbox closed');
    }
    return noSuchFolder();
  }
  if (params.condstore || params.qresync) session.condstore = true;
  const view = await session.select(folder, { readOnly });
  const flags = SYSTEM_FLAGS.map(atom);
  ctx.untagged(atom('FLAGS'), list(flags));
  ctx.untaggedText(
    readOnly
      ? 'OK [PERMANENTFLAGS ()] Dossier en lecture seule / Read-only mailbox'
      : `OK [PERMANENTFLAGS (${SYSTEM_FLAGS.join(' ')} \\*)] Drapeaux permanents / Flags permitted`,
  );
  ctx.untagged(num(view.exists), atom('EXISTS'));
  ctx.untagged(num(view.recent), atom('RECENT'));
  const unseen = view.firstUnseenUid === null ? undefined : view.seqOf(view.firstUnseenUid);
  if (unseen !== undefined) ctx.untaggedText(`OK [UNSEEN ${unseen}] Premier message non lu / First unseen message`);
  ctx.untaggedText(`OK [UIDVALIDITY ${view.folder.uidValidity}] UID valides / UIDs valid`);
  ctx.untaggedText(`OK [UIDNEXT ${view.folder.uidNext}] Prochain UID / Predicted next UID`);
  ctx.untaggedText(`OK [HIGHESTMODSEQ ${view.highestModseq}] Plus haut MODSEQ / Highest mailbox mod-sequence`);
  const q = params.qresync;
  if (q && q.uidValidity === view.folder.uidValidity) await resynchronise(ctx, view, q);
  return ok(`${word} terminé / ${word} completed`, readOnly ? 'READ-ONLY' : 'READ-WRITE');
}

function opener(name: 'SELECT' | 'EXAMINE'): CommandSpec {
  return {
    name,
    states: ['authenticated', 'selected'],
    async handle(ctx, command) {
      try {
        return await open(ctx, command.args, name === 'EXAMINE');
      } catch (error) {
        if (error instanceof SequenceError) return bad(error.message);
        return answerFor(error);
      }
    },
  };
}

export const select = opener('SELECT');
export const examine = opener('EXAMINE');
