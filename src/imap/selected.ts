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
import { atom, list, num, type ImapOut } from './protocol/values.js';

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
  private readonly unsubscribe: () => void;
  /** called when the folder changes (IDLE waits on it) */
  onChange: (() => void) | undefined;

  private constructor(
    private readonly store: Store,
    public folder: Folder,
    readonly readOnly: boolean,
    uids: Uint32Array,
    public highestModseq: number,
    readonly recentFrom: number,
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
    let recentFrom: number;
    if (options.readOnly) {
      const status = await store.folders.status(folder.mailboxId, folder.id);
      recentFrom = status.recent > 0 ? view.uids[view.uids.length - status.recent] ?? view.folder.uidNext : view.folder.uidNext;
    } else {
      recentFrom = await store.folders.claimRecent(folder.mailboxId, folder.id);
    }
    return new SelectedMailbox(store, view.folder, options.readOnly, view.uids, view.folder.highestModseq, recentFrom);
  }

  get exists(): number {
    return this.count;
  }

  /** the number of messages the client has been told are \Recent */
  get recent(): number {
    let n = 0;
    for (let i = this.count - 1; i >= 0 && this.uids[i]! >= this.recentFrom; i--) n++;
    return n;
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

  /**
   * Tells the client what changed since it last heard, through `say`. Returns false when the
   * folder no longer exists (deleted by another session): the session must end the selection.
   */
  /** a command of this session answered this flag change itself (STORE, FETCH setting \Seen) */
  told(uid: number, modseq: number): void {
    this.toldModseq.set(uid, modseq);
  }

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
      say([num(this.count), atom('EXISTS')]);
      say([num(this.recent), atom('RECENT')]);
      if (!this.readOnly) await this.store.folders.claimRecent(mailboxId, id);
    }
    for (const m of changes.changed) {
      if (m.uid > last || this.held.has(m.uid) || this.toldModseq.get(m.uid) === m.modseq) continue;
      const seq = this.seqOf(m.uid);
      if (seq === undefined) continue;
      const flags = m.flags.map(atom);
      if (m.uid >= this.recentFrom) flags.push(atom('\\Recent'));
      const items: ImapOut[] = [atom('FLAGS'), list(flags), atom('UID'), num(m.uid)];
      if (options.condstore || options.qresync) items.push(atom('MODSEQ'), list([num(m.modseq)]));
      say([num(seq), atom('FETCH'), list(items)]);
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
