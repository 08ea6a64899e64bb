/**
 * The selected folder as one session knows it (RFC 3501 §2.3.1): the UIDs the client has been
 * told of, in sequence order. The store's change feed says *that* the folder changed; `sync`
 * reads *what* changed from the journal and says it — new messages (EXISTS, RECENT), flag
 * changes (FETCH) and expunges (EXPUNGE, or VANISHED under QRESYNC) — only when the session
 * calls it, at the moments the RFC allows. Expunges held back (during FETCH, STORE, SEARCH)
 * keep their sequence numbers until the next moment they may be told.
 */
import type { SelectedFolder } from './command.js';
import { resolveSequenceNumbers, resolveUids, formatSequenceSet } from './sequence.js';
import type { Folder, Store } from './../store/types.js';
import { StoreRefusal } from './../store/types.js';
import { flagUpdate } from './fetch/answer.js';
import { atom, num, type ImapOut } from './protocol/values.js';

export interface SyncOptions {
  /** EXPUNGE may be said now (not during FETCH, STORE, SEARCH by sequence number) */
  expunge: boolean;
  /** QRESYNC enabled: VANISHED instead of EXPUNGE, and MODSEQ in FETCH */
  qresync: boolean;
  /** MODSEQ in FETCH (CONDSTORE in use) */
  condstore: boolean;
}

export class SelectedMailbox implements SelectedFolder {
  private uids: Uint32Array;
  private count: number;
  private dirty = false;
  /** expunged in the store, not told to the client yet: still numbered */
  private held = new Set<number>();
  /** flag changes this session's own command already answered (UID → MODSEQ): not told twice */
  private toldModseq = new Map<number, number>();
  /**
   * Read-write: the UIDs this session claimed from the store as \Recent (claimRecent), each
   * claim a range, adjacent ones merged. A message another session claimed first is not
   * \Recent here, whatever its UID (RFC 3501 §2.3.2: one session only).
   */
  private claimed: Array<{ from: number; to: number }> = [];
  private readonly unsubscribe: () => void;
  /** called when the folder changes (IDLE waits on it) */
  onChange: (() => void) | undefined;

  private constructor(
    private readonly store: Store,
    public folder: Folder,
    readonly readOnly: boolean,
    uids: Uint32Array,
    public highestModseq: number,
    /**
     * Read-only: UIDs from this one up are \Recent to the session (it claims nothing, so it
     * cannot know that another session has; the RFC lets it say so). Infinity when read-write.
     */
    private readonly recentFloor: number,
    readonly firstUnseenUid: number | null,
  ) {
    this.uids = uids;
    this.count = uids.length;
    this.unsubscribe = store.changes.subscribe(folder.mailboxId, (change) => {
      if (change.folderId !== null && change.folderId !== this.folder.id) return;
      this.dirty = true;
      this.onChange?.();
    });
  }

  /**
   * Builds the view a SELECT (or EXAMINE, `readOnly`) answers with. A read-write selection
   * claims the messages no session has seen as \Recent (RFC 3501 §2.3.2); a read-only one only
   * reads which are, changing nothing.
   */
  static async open(store: Store, folder: Folder, options: { readOnly: boolean }): Promise<SelectedMailbox> {
    const view = await store.folders.view(folder.mailboxId, folder.id);
    if (options.readOnly) {
      const status = await store.folders.status(folder.mailboxId, folder.id);
      const floor = status.recent > 0 ? view.uids[view.uids.length - status.recent] ?? view.folder.uidNext : view.folder.uidNext;
      return new SelectedMailbox(store, view.folder, true, view.uids, view.folder.highestModseq, floor, view.firstUnseenUid);
    }
    const selected = new SelectedMailbox(store, view.folder, false, view.uids, view.folder.highestModseq, Infinity, view.firstUnseenUid);
    try {
      selected.claim(await store.folders.claimRecent(folder.mailboxId, folder.id));
    } catch (err) {
      selected.close();
      throw err;
    }
    return selected;
  }

  get exists(): number {
    return this.count;
  }

  isRecent(uid: number): boolean {
    if (uid >= this.recentFloor) return true;
    for (const r of this.claimed) if (uid >= r.from && uid <= r.to) return true;
    return false;
  }

  /** the number of messages the client knows that are \Recent to this session */
  get recent(): number {
    const lowest = Math.min(this.recentFloor, this.claimed[0]?.from ?? Infinity);
    let n = 0;
    for (let i = this.count - 1; i >= 0 && this.uids[i]! >= lowest; i--) if (this.isRecent(this.uids[i]!)) n++;
    return n;
  }

  /** a range claimRecent gave this session (nothing when from > to) */
  private claim(range: { from: number; to: number }): void {
    if (range.from > range.to) return;
    const last = this.claimed[this.claimed.length - 1];
    if (last && range.from <= last.to + 1) last.to = Math.max(last.to, range.to);
    else this.claimed.push({ ...range });
  }

  /** whether the folder changed since the last sync */
  get changed(): boolean {
    return this.dirty;
  }

  uidAt(seq: number): number | undefined {
    return seq >= 1 && seq <= this.count ? this.uids[seq - 1] : undefined;
  }

  seqOf(uid: number): number | undefined {
    let lo = 0;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.uids[mid]!;
      if (v === uid) return mid + 1;
      if (v < uid) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  resolve(set: string, byUid: boolean): number[] {
    return byUid ? resolveUids(set, this.uids, this.count) : resolveSequenceNumbers(set, this.uids, this.count);
  }

  close(): void {
    this.unsubscribe();
    this.onChange = undefined;
  }

  /** a command of this session answered this flag change itself (STORE, FETCH setting \Seen) */
  told(uid: number, modseq: number): void {
    this.toldModseq.set(uid, modseq);
  }

  /**
   * Tells the client what changed since it last heard, through `say`. Returns false when the
   * folder no longer exists (deleted by another session): the session must end the selection.
   */
  async sync(options: SyncOptions, say: (items: ImapOut[]) => void): Promise<boolean> {
    if (!this.dirty && (this.held.size === 0 || !options.expunge)) return true;
    this.dirty = false;
    const { mailboxId, id } = this.folder;
    let changes;
    try {
      changes = await this.store.messages.changes(mailboxId, id, this.highestModseq);
    } catch (err) {
      if (err instanceof StoreRefusal && err.code === 'NOT_FOUND') return false;
      throw err;
    }
    let expunged = changes.expunged.filter((uid) => this.seqOf(uid) !== undefined);
    let fresh: number[];
    const last = this.count > 0 ? this.uids[this.count - 1]! : 0;
    if (changes.incomplete) {
      // Tombstones older than what we knew were pruned: compare with the folder as it is.
      const view = await this.store.folders.view(mailboxId, id);
      const present = new Set(view.uids);
      expunged = [];
      for (let i = 0; i < this.count; i++) if (!present.has(this.uids[i]!)) expunged.push(this.uids[i]!);
      fresh = [...view.uids].filter((uid) => uid > last);
    } else {
      const gone = new Set(changes.expunged);
      fresh = changes.changed.map((m) => m.uid).filter((uid) => uid > last && !gone.has(uid));
      fresh.sort((a, b) => a - b);
    }
    for (const uid of expunged) this.held.add(uid);

    if (options.expunge && this.held.size > 0) this.tellExpunged(options.qresync, say);
    if (fresh.length > 0) {
      this.append(fresh);
      // Claimed before RECENT is counted: only what this session won is \Recent to it.
      if (!this.readOnly) this.claim(await this.store.folders.claimRecent(mailboxId, id));
      say([num(this.count), atom('EXISTS')]);
      say([num(this.recent), atom('RECENT')]);
    }
    for (const m of changes.changed) {
      if (m.uid > last || this.held.has(m.uid) || this.toldModseq.get(m.uid) === m.modseq) continue;
      const seq = this.seqOf(m.uid);
      if (seq === undefined) continue;
      say(flagUpdate(seq, m.uid, m.flags, this.isRecent(m.uid), options.condstore || options.qresync ? m.modseq : undefined));
    }
    this.toldModseq.clear();
    this.highestModseq = Math.max(this.highestModseq, changes.highestModseq);
    const uidNext = Math.max(this.folder.uidNext, (this.count > 0 ? this.uids[this.count - 1]! : 0) + 1);
    this.folder = { ...this.folder, highestModseq: this.highestModseq, uidNext };
    return true;
  }

  private tellExpunged(qresync: boolean, say: (items: ImapOut[]) => void): void {
    const gone = [...this.held].sort((a, b) => a - b);
    this.held.clear();
    if (qresync) {
      say([atom('VANISHED'), atom(formatSequenceSet(gone))]);
    } else {
      // Highest first: each number is right when said, and those below it do not move.
      for (let i = gone.length - 1; i >= 0; i--) {
        const seq = this.seqOf(gone[i]!);
        if (seq !== undefined) say([num(seq), atom('EXPUNGE')]);
      }
    }
    const keep = new Set(gone);
    let w = 0;
    for (let r = 0; r < this.count; r++) if (!keep.has(this.uids[r]!)) this.uids[w++] = this.uids[r]!;
    this.count = w;
  }

  private append(uids: number[]): void {
    if (this.count + uids.length > this.uids.length) {
      const bigger = new Uint32Array(Math.max(16, (this.count + uids.length) * 1.5) | 0);
      bigger.set(this.uids.subarray(0, this.count));
      this.uids = bigger;
    }
    for (const uid of uids) this.uids[this.count++] = uid;
  }
}
