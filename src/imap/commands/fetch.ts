/**
 * FETCH and UID FETCH (RFC 3501 §6.4.5, §6.4.8; CHANGEDSINCE and VANISHED of RFC 7162).
 * Messages are read a page of UIDs at a time, so `1:*` over a large folder never holds every
 * row or body at once (a plan of only UID, FLAGS and MODSEQ, a client's flag resync, reads only
 * those columns); a few answers are prepared ahead while the socket takes the current one,
 * and the command waits for the socket between messages. \Seen is set, a page at a time, for
 * BODY[…] without PEEK on a read-write folder, and the new FLAGS go with the answer. Answers
 * built in memory (HEADER.FIELDS of large headers) are prepared one at a time, each after the
 * socket has taken what the last ones left queued.
 */
import type { MessageState, StoredMessage } from '../../store/types.js';
import type { CommandContext, CommandResult, CommandSpec, SelectedFolder } from '../command.js';
import { bad, condstoreOn, ok } from '../command.js';
import { answer, type AnswerSources } from '../fetch/answer.js';
import { FetchSyntaxError, onlyState, parseFetchItems, withUid, type FetchPlan } from '../fetch/items.js';
import { atom, list, num, type ImapOut, type ImapValue } from '../protocol/values.js';
import { formatSequenceSet, merged, missingUids, parseSequenceSet, type SequenceRange } from '../sequence.js';
import { nextTurn, STEPS_PER_TURN } from '../turns.js';

/** UIDs read from the store per query */
const PAGE = 512;
/** answers prepared ahead of the one being written */
const AHEAD = 4;
/**
 * The command waits for the socket once this much memory is queued (or this many answers).
 * A streamed body costs little while it waits: the writer reads it only when its turn comes.
 */
const QUEUED_BYTES = 1024 * 1024;
const QUEUED_ANSWERS = 256;
const STREAM_WEIGHT = 1024;

/** memory an answer holds in the writer's queue, roughly: its literals, strings and atoms (section labels can be long), not its streams */
function weight(items: readonly ImapOut[]): number {
  let bytes = 0;
  for (const item of items) {
    if (item.t === 'literal') bytes += item.v.length;
    else if (item.t === 'stream') bytes += STREAM_WEIGHT;
    else if (item.t === 'atom' || item.t === 'string') bytes += item.v.length + 2;
    else if (item.t === 'list') bytes += weight(item.v) + 2;
    else bytes += 16;
  }
  return bytes;
}

/**
 * Whether an answer may be large in memory: a HEADER.FIELDS(.NOT) item is built from the
 * header block (up to limits.maxHeaderBytes), not streamed. Such answers are not prepared ahead.
 */
function builtInMemory(plan: FetchPlan): boolean {
  return plan.items.some((i) => i.kind === 'section' && (i.section.text === 'HEADER.FIELDS' || i.section.text === 'HEADER.FIELDS.NOT'));
}

type Settled = { ok: true; items: ImapOut[] } | { ok: false; error: unknown };

const settle = (work: Promise<ImapOut[]>): Promise<Settled> =>
  work.then(
    (items) => ({ ok: true, items }),
    (error: unknown) => ({ ok: false, error }),
  );

/** the ascending UIDs that fall in merged ascending ranges (one pass over both) */
async function inRanges(uids: readonly number[], ranges: readonly SequenceRange[]): Promise<number[]> {
  const out: number[] = [];
  let r = 0;
  for (let i = 0; i < uids.length; i++) {
    const uid = uids[i]!;
    while (r < ranges.length && ranges[r]!.to < uid) r++;
    if (r === ranges.length) break;
    if (uid >= ranges[r]!.from) out.push(uid);
    if ((i + 1) % STEPS_PER_TURN === 0) await nextTurn();
  }
  return out;
}

/**
 * RFC 7162 §3.2.6: the UIDs of the set expunged since CHANGEDSINCE, before any FETCH answer.
 * When the journal no longer reaches that far back, every UID of the set that is not in the
 * folder is said (the client forgets what it does not have), computed from the gaps between
 * the UIDs present, not UID by UID up to UIDNEXT.
 */
async function sayVanished(ctx: CommandContext, view: SelectedFolder, set: string, since: number): Promise<void> {
  const { store } = ctx.services;
  const { mailboxId, id } = view.folder;
  const last = view.folder.uidNext - 1;
  const ranges = merged(parseSequenceSet(set), last);
  const changes = await store.messages.changes(mailboxId, id, since);
  let gone: string;
  if (changes.incomplete) {
    const present = (await store.folders.view(mailboxId, id)).uids;
    gone = await missingUids(ranges, present, last, nextTurn, STEPS_PER_TURN);
  } else {
    gone = formatSequenceSet(await inRanges(changes.expunged, ranges));
  }
  if (gone) ctx.untagged(atom('VANISHED'), list([atom('EARLIER')]), atom(gone));
}

/** Sets \Seen on the messages of a page that lack it; returns the UIDs whose flags changed. */
async function markSeen(ctx: CommandContext, view: SelectedFolder, messages: StoredMessage[]): Promise<Set<number>> {
  const unseen = messages.filter((m) => !m.flags.includes('\\Seen')).map((m) => m.uid);
  if (unseen.length === 0) return new Set();
  const outcome = await ctx.services.store.messages.setFlags(view.folder.mailboxId, view.folder.id, unseen, { op: 'add', flags: ['\\Seen'] });
  const byUid = new Map(outcome.updated.map((u) => [u.uid, u]));
  for (const m of messages) {
    const u = byUid.get(m.uid);
    if (u) {
      m.flags = u.flags;
      m.modseq = u.modseq;
      // The answer carries the new FLAGS: the session's next sync need not repeat them.
      view.told?.(u.uid, u.modseq);
    }
  }
  return new Set(byUid.keys());
}

async function run(ctx: CommandContext, view: SelectedFolder, set: string, plan: FetchPlan, uids: number[]): Promise<void> {
  const { session, services } = ctx;
  const { mailboxId, id: folderId } = view.folder;
  const condstore = condstoreOn(session);
  const sources: AnswerSources = {
    blobs: services.blobs,
    mime: (blobId) => services.store.messages.mime(blobId),
    isRecent: (uid) => view.isRecent(uid),
    utf8: session.enabled.has('UTF8=ACCEPT'),
  };
  if (plan.vanished) await sayVanished(ctx, view, set, plan.changedSince!);
  const seen = plan.setsSeen && !view.readOnly;
  const ahead = builtInMemory(plan) ? 1 : AHEAD;
  const stateOnly = onlyState(plan);

  let queuedBytes = 0;
  let queuedAnswers = 0;
  for (let from = 0; from < uids.length; from += PAGE) {
    const page = uids.slice(from, from + PAGE);
    const options = { changedSince: plan.changedSince };
    let messages: MessageState[];
    let flagged: Set<number> | undefined;
    if (stateOnly) {
      messages = await services.store.messages.states(mailboxId, folderId, page, options);
    } else {
      const full = await services.store.messages.fetch(mailboxId, folderId, page, options);
      flagged = seen ? await markSeen(ctx, view, full) : undefined;
      messages = full;
    }
    const pending: Array<Promise<Settled>> = [];
    let next = 0;
    const prepare = () => {
      while (pending.length < ahead && next < messages.length) {
        const m = messages[next++]!;
        pending.push(settle(answer(plan, m, sources, { flagsChanged: flagged?.has(m.uid), condstore })));
      }
    };
    for (const message of messages) {
      prepare();
      const done = await pending.shift()!;
      if (!done.ok) {
        // Let the answers already under way finish quietly before the command fails.
        await Promise.all(pending);
        throw done.error;
      }
      const seq = view.seqOf(message.uid);
      if (seq === undefined) continue;
      ctx.untagged(num(seq), atom('FETCH'), list(done.items));
      queuedBytes += weight(done.items);
      if (++queuedAnswers >= QUEUED_ANSWERS || queuedBytes >= QUEUED_BYTES) {
        await ctx.drain();
        queuedBytes = queuedAnswers = 0;
      }
    }
  }
}

function setArgument(value: ImapValue | undefined): string | undefined {
  return value?.type === 'atom' && !value.section && !value.partial ? value.value : undefined;
}

/** named apart from the global fetch() */
export const fetchCommand: CommandSpec = {
  name: 'FETCH',
  states: ['selected'],
  uid: true,
  async handle(ctx, command): Promise<CommandResult> {
    const { session } = ctx;
    const view = session.selected!;
    const word = command.uid ? 'UID FETCH' : 'FETCH';
    const set = setArgument(command.args[0]);
    if (set === undefined) return bad(`${word} prend un ensemble de messages puis des éléments / ${word} takes a message set, then items`);
    let plan: FetchPlan;
    try {
      plan = parseFetchItems(command.args.slice(1));
    } catch (err) {
      if (err instanceof FetchSyntaxError) return bad(err.message);
      throw err;
    }
    if (command.uid) plan = withUid(plan);
    if (plan.vanished && !(command.uid && session.enabled.has('QRESYNC'))) {
      return bad('VANISHED demande UID FETCH et QRESYNC activé / VANISHED needs UID FETCH with QRESYNC enabled');
    }
    // RFC 7162 §3.1: asking for MODSEQ, or CHANGEDSINCE, turns CONDSTORE on for the session.
    if (plan.items.some((i) => i.kind === 'MODSEQ')) session.condstore = true;
    const uids = view.resolve(set, command.uid);
    await run(ctx, view, set, plan, uids);
    return ok(`${word} terminé / ${word} completed`);
  },
};
