/**
 * One message's FETCH answer, item by item, from its row, its MIME index (read only when the
 * plan needs it) and its stored bytes (read or streamed only for body sections).
 */
import type { MimeIndex } from '../../mime/types.js';
import type { BlobStore, MessageState, StoredMessage } from '../../store/types.js';
import { atom, list, NIL, num, str, type ImapOut } from '../protocol/values.js';
import { structure } from './bodystructure.js';
import { envelopeOut } from './envelope.js';
import type { FetchPlan } from './items.js';
import { locate, sectionData } from './sections.js';

export interface AnswerSources {
  blobs: BlobStore;
  mime(blobId: string): Promise<MimeIndex | undefined>;
  /** the message is \Recent to this session */
  isRecent(uid: number): boolean;
  /** UTF8=ACCEPT is enabled */
  utf8?: boolean;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** RFC 3501 date-time, in UTC: `" 2-Dec-2025 01:18:00 +0000"` (the day is space-padded). */
export function imapDateTime(date: Date): string {
  const day = date.getUTCDate();
  return `${day < 10 ? ` ${day}` : day}-${MONTHS[date.getUTCMonth()]}-${date.getUTCFullYear()} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;
}

export function flagsOut(stored: readonly string[], recent: boolean): ImapOut {
  const flags: ImapOut[] = stored.map(atom);
  if (recent) flags.push(atom('\\Recent'));
  return list(flags);
}

export const modseqOut = (modseq: number): ImapOut => list([num(modseq)]);

/**
 * `* n FETCH (FLAGS (…) UID u [MODSEQ (m)])`, a flag change the client did not ask for (another
 * session's, or one a QRESYNC SELECT catches up on): with the UID always, so that the client
 * can place it, and MODSEQ under CONDSTORE (RFC 7162 §3.1).
 */
export function flagUpdate(seq: number, uid: number, flags: readonly string[], recent: boolean, modseq?: number): ImapOut[] {
  const items: ImapOut[] = [atom('FLAGS'), flagsOut(flags, recent), atom('UID'), num(uid)];
  if (modseq !== undefined) items.push(atom('MODSEQ'), modseqOut(modseq));
  return [num(seq), atom('FETCH'), list(items)];
}

export interface AnswerOptions {
  /** the flags changed while fetching (\Seen set): FLAGS, and UID and MODSEQ under CONDSTORE, go along */
  flagsChanged?: boolean;
  condstore?: boolean;
}

/** the stored row, for the items beyond UID, FLAGS and MODSEQ (a plan of only those reads the state alone: onlyState) */
function row(message: MessageState): StoredMessage {
  if (!('blobId' in message)) throw new Error('this FETCH item needs the stored message, not only its state');
  return message as StoredMessage;
}

/** The items of `* n FETCH (…)` for one message, in the order asked. */
export async function answer(plan: FetchPlan, message: MessageState, sources: AnswerSources, options: AnswerOptions = {}): Promise<ImapOut[]> {
  const out: ImapOut[] = [];
  let mime: MimeIndex | undefined;
  if (plan.needsMime) {
    const { blobId, id } = row(message);
    mime = await sources.mime(blobId);
    if (!mime) throw new Error(`no MIME index for message ${id}`);
  }
  let hasFlags = false;
  let hasModseq = false;
  let hasUid = false;
  // Header blocks read for this message's HEADER.FIELDS items: each block once, however many ask.
  const blocks = new Map<string, Promise<Buffer>>();
  for (const item of plan.items) {
    switch (item.kind) {
      case 'UID':
        hasUid = true;
        out.push(atom('UID'), num(message.uid));
        break;
      case 'FLAGS':
        hasFlags = true;
        out.push(atom('FLAGS'), flagsOut(message.flags, sources.isRecent(message.uid)));
        break;
      case 'INTERNALDATE':
        out.push(atom('INTERNALDATE'), str(imapDateTime(row(message).internalDate)));
        break;
      case 'RFC822.SIZE':
        out.push(atom('RFC822.SIZE'), num(row(message).size));
        break;
      case 'MODSEQ':
        hasModseq = true;
        out.push(atom('MODSEQ'), modseqOut(message.modseq));
        break;
      case 'ENVELOPE':
        out.push(atom('ENVELOPE'), envelopeOut(mime!.envelope));
        break;
      case 'BODY':
        out.push(atom('BODY'), structure(mime!.root, false, sources.utf8));
        break;
      case 'BODYSTRUCTURE':
        out.push(atom('BODYSTRUCTURE'), structure(mime!.root, true, sources.utf8));
        break;
      case 'section': {
        const { size, blobId } = row(message);
        const located = locate(mime, size, item.section);
        out.push(atom(item.label), located ? await sectionData(sources.blobs, blobId, located, item.partial, blocks) : NIL);
        break;
      }
    }
  }
  if (options.flagsChanged) {
    if (!hasFlags) out.push(atom('FLAGS'), flagsOut(message.flags, sources.isRecent(message.uid)));
    // RFC 7162 §3.1: a FETCH that set \Seen tells UID and MODSEQ under CONDSTORE.
    if (options.condstore && !hasUid) out.push(atom('UID'), num(message.uid));
    if (options.condstore && !hasModseq) out.push(atom('MODSEQ'), modseqOut(message.modseq));
  }
  return out;
}
