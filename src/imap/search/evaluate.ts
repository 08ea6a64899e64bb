/**
 * Runs a search program over the messages a session knows, cheapest facts first. Every key is
 * decided in three-valued logic (true, false, or "not known yet") against what has been read of
 * a message so far, in this order:
 *
 *   0. its sequence number, UID and \Recent     (the session's view: sets are tested here)
 *   1. its row: flags, size, INTERNALDATE, MODSEQ (one query per 500 messages)
 *   2. its MIME index: envelope, Date:           (no message file read)
 *   3. its header block                         (a few KB of the file, only for HEADER / TEXT)
 *   4. its text parts, streamed                 (only for BODY / TEXT, and only while undecided)
 *
 * A message leaves as soon as its answer is known: `UNSEEN BODY x` never opens a seen message.
 */
import { decodeWords } from '../../mime/header.js';
import type { EnvelopeAddress, MimeIndex } from '../../mime/types.js';
import type { BlobStore, MessageStore, StoredMessage } from '../../store/types.js';
import { bodyContains, decodedFields, fieldsText, type DecodedField } from './body-text.js';
import { dayMatches, internalDay, sentDay } from './dates.js';
import { inSet } from './number-set.js';
import type { EnvelopeField, SearchKey, SearchProgram } from './program.js';
import { contains } from './text-match.js';
import { nextTurn, STEPS_PER_TURN } from '../turns.js';

/** What a search runs over: the session's view of the selected folder, and the stores. */
export interface SearchScope {
  mailboxId: number;
  folderId: number;
  /** the UIDs the session knows, in sequence order (sequence number = index + 1) */
  uids: readonly number[];
  /** the message is \Recent to the session */
  isRecent(uid: number): boolean;
  messages: MessageStore;
  blobs: BlobStore;
}

export interface SearchHit {
  seq: number;
  uid: number;
  modseq: number;
}

/** rows read per store query */
const ROWS_PER_READ = 500;
/** messages whose files are read at the same time */
const PARALLEL_READS = 4;

interface Facts {
  seq: number;
  uid: number;
  recent: boolean;
  stored?: StoredMessage;
  /** null: the message has no MIME index (then it has no envelope and no text either) */
  mime?: MimeIndex | null;
  /** the header fields, values decoded */
  fields?: DecodedField[];
  /** the same as one text, for TEXT */
  headerText?: string;
}

interface Stars {
  /** the value of `*`: EXISTS, and the last UID; undefined in an empty folder */
  seq: number | undefined;
  uid: number | undefined;
}

type Maybe = boolean | undefined;

function addressText(list: readonly EnvelopeAddress[]): string {
  return list
    .map((a) => {
      if (a.host === null) return a.mailbox ?? ''; // a group's name, or its end
      const address = a.mailbox === null ? a.host : `${a.mailbox}@${a.host}`;
      return a.name ? `${decodeWords(a.name)} <${address}>` : `<${address}>`;
    })
    .filter(Boolean)
    .join(', ');
}

function envelopeText(mime: MimeIndex, field: EnvelopeField): string {
  if (field === 'subject') return decodeWords(mime.envelope.subject ?? '');
  return addressText(mime.envelope[field]);
}

function hasFlag(stored: StoredMessage, flag: string): boolean {
  const wanted = flag.toLowerCase();
  return stored.flags.some((f) => f.toLowerCase() === wanted);
}

/** The key's answer from the facts read so far; undefined when they do not decide it. */
function decide(key: SearchKey, f: Facts, stars: Stars): Maybe {
  switch (key.k) {
    case 'all':
      return true;
    case 'set':
      return key.uid ? inSet(key.set, f.uid, stars.uid) : inSet(key.set, f.seq, stars.seq);
    case 'recent':
      return f.recent;
    case 'flag':
      return f.stored && hasFlag(f.stored, key.flag) === key.set;
    case 'size':
      return f.stored && (key.op === 'larger' ? f.stored.size > key.size : f.stored.size < key.size);
    case 'modseq':
      return f.stored && f.stored.modseq >= key.modseq;
    case 'date':
      if (key.field === 'internal') return f.stored && dayMatches(key.op, key.day, internalDay(f.stored.internalDate));
      if (f.mime === undefined || !f.stored) return undefined;
      // No readable Date: header: the day it arrived stands in for the day it was sent.
      return dayMatches(key.op, key.day, sentDay(f.mime?.envelope.date ?? null) ?? internalDay(f.stored.internalDate));
    case 'envelope':
      if (f.mime === undefined) return undefined;
      return f.mime !== null && contains(envelopeText(f.mime, key.field), key.text);
    case 'header':
      if (f.mime === null) return false;
      return f.fields && f.fields.some((field) => field.name === key.name && contains(field.text, key.text));
    case 'body':
      if (key.text === '') return true;
      if (f.mime === null) return false;
      // TEXT is decided by the header alone when the header has the string; the body needs reading otherwise.
      return key.withHeaders && f.headerText !== undefined && contains(f.headerText, key.text) ? true : undefined;
    case 'and': {
      let known: Maybe = true;
      for (const k of key.keys) {
        const d = decide(k, f, stars);
        if (d === false) return false;
        if (d === undefined) known = undefined;
      }
      return known;
    }
    case 'or': {
      const a = decide(key.a, f, stars);
      if (a === true) return true;
      const b = decide(key.b, f, stars);
      if (b === true) return true;
      return a === false && b === false ? false : undefined;
    }
    case 'not': {
      const d = decide(key.key, f, stars);
      return d === undefined ? undefined : !d;
    }
  }
}

/** Whether any key of the tree needs the header block (HEADER, TEXT). */
function needsHeader(key: SearchKey): boolean {
  switch (key.k) {
    case 'header':
      return true;
    case 'body':
      return key.withHeaders && key.text !== '';
    case 'and':
      return key.keys.some(needsHeader);
    case 'or':
      return needsHeader(key.a) || needsHeader(key.b);
    case 'not':
      return needsHeader(key.key);
    default:
      return false;
  }
}

/** The last step: whatever is still undecided reads the text parts, stopping at the first answer. */
async function settle(key: SearchKey, f: Facts, stars: Stars, read: (withHeaders: boolean, text: string) => Promise<boolean>): Promise<boolean> {
  const d = decide(key, f, stars);
  if (d !== undefined) return d;
  switch (key.k) {
    case 'body':
      return read(key.withHeaders, key.text);
    case 'and':
      for (const k of key.keys) if (!(await settle(k, f, stars, read))) return false;
      return true;
    case 'or':
      return (await settle(key.a, f, stars, read)) || settle(key.b, f, stars, read);
    case 'not':
      return !(await settle(key.key, f, stars, read));
    default:
      return false; // every other key is decided by the facts read by now
  }
}

async function readDeep(program: SearchProgram, f: Facts & { stored: StoredMessage }, stars: Stars, scope: SearchScope): Promise<boolean> {
  const { stored } = f;
  f.mime = (await scope.messages.mime(stored.blobId)) ?? null;
  let d = decide(program.key, f, stars);
  if (d !== undefined) return d;
  if (f.mime && needsHeader(program.key)) {
    const root = f.mime.root;
    const bytes = root.bodyStart > root.headerStart ? await scope.blobs.read(stored.blobId, { start: root.headerStart, end: root.bodyStart }) : Buffer.alloc(0);
    f.fields = decodedFields(bytes);
    f.headerText = fieldsText(f.fields);
    d = decide(program.key, f, stars);
    if (d !== undefined) return d;
  }
  const mime = f.mime;
  if (!mime) return false;
  const memo = new Map<string, Promise<boolean>>();
  return settle(program.key, f, stars, (withHeaders, text) => {
    const id = `${withHeaders ? 'T' : 'B'}${text}`;
    let found = memo.get(id);
    if (!found) memo.set(id, (found = bodyContains(scope.blobs, stored.blobId, mime, text, withHeaders)));
    return found;
  });
}

/**
 * A message whose file is gone was removed (retention, another session's EXPUNGE) between the
 * read of its row and the read of its file: it matches nothing. Any other failure is a fault.
 */
function vanished(err: unknown): false {
  if ((err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return false;
  throw err;
}

/** The messages of the scope that match, in sequence order. */
export async function runSearch(program: SearchProgram, scope: SearchScope): Promise<SearchHit[]> {
  const { uids } = scope;
  const stars: Stars = { seq: uids.length || undefined, uid: uids[uids.length - 1] };
  const hits: SearchHit[] = [];

  // 0: the session's view alone (sequence sets, UID sets, \Recent).
  const facts = (seq: number): Facts => ({ seq, uid: uids[seq - 1]!, recent: scope.isRecent(uids[seq - 1]!) });
  const candidates: number[] = [];
  for (let seq = 1; seq <= uids.length; seq++) {
    if (decide(program.key, facts(seq), stars) !== false) candidates.push(seq);
    // A large folder and a large program: the other sessions get their turn meanwhile.
    if (seq % STEPS_PER_TURN === 0) await nextTurn();
  }

  // 1–2: rows, then MIME indexes; 3–4 for what is still open. One slice of rows at a time, so
  // that a BODY search of a large folder holds 500 rows, not all of them.
  for (let start = 0; start < candidates.length; start += ROWS_PER_READ) {
    // The store's reads complete synchronously: a turn for the others between two slices.
    if (start > 0) await nextTurn();
    const slice = candidates.slice(start, start + ROWS_PER_READ).map(facts);
    const rows = await scope.messages.fetch(scope.mailboxId, scope.folderId, slice.map((f) => f.uid));
    const byUid = new Map(rows.map((r) => [r.uid, r]));
    const deep: Array<Facts & { stored: StoredMessage }> = [];
    for (const f of slice) {
      const stored = byUid.get(f.uid);
      if (!stored) continue; // expunged by another session since this one looked: it matches nothing
      f.stored = stored;
      const d = decide(program.key, f, stars);
      if (d === true) hits.push({ seq: f.seq, uid: f.uid, modseq: stored.modseq });
      else if (d === undefined) deep.push(f as Facts & { stored: StoredMessage });
    }
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < deep.length) {
        const f = deep[next++]!;
        if (await readDeep(program, f, stars, scope).catch(vanished)) hits.push({ seq: f.seq, uid: f.uid, modseq: f.stored.modseq });
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_READS, deep.length) }, worker));
  }
  return hits.sort((a, b) => a.seq - b.seq);
}
