/**
 * What the mailbox commands share: reading a mailbox name off the wire (modified UTF-7, or
 * UTF-8 once UTF8=ACCEPT is enabled) into the store's UTF-8 name, writing it back, and saying a
 * store refusal as a NO with its RFC 5530 response code, in French and English.
 */
import { FOLDER_DELIMITER, StoreRefusal, type StoreRefusalCode } from '../../store/types.js';
import { bad, no, type CommandResult, type ImapSession, type ImapUser } from '../command.js';
import type { ImapValue } from '../protocol/values.js';
import { SequenceError } from '../sequence.js';
import { decodeMailboxName, encodeMailboxName, Utf7Error } from '../utf7.js';

/** A malformed argument: the command is answered BAD with this text. */
export class ArgumentError extends Error {
  override name = 'ArgumentError';
}

/** the text of an atom or string argument (bytes as latin1, so 8-bit stays visible) */
export function textArg(value: ImapValue | undefined, what: string): string {
  if (value?.type === 'atom') return value.value;
  if (value?.type === 'string') return value.value.toString('latin1');
  throw new ArgumentError(`${what} attendu / ${what} expected`);
}

/**
 * The store's name for a mailbox argument. A trailing delimiter is dropped (RFC 3501 §6.3.3:
 * `CREATE foo/` makes `foo`); INBOX's case is the store's business.
 */
export function mailboxArg(value: ImapValue | undefined, session: ImapSession, what = 'nom de dossier / mailbox name'): string {
  if (value?.type === 'nil' || value?.type === 'list' || value === undefined) throw new ArgumentError(`${what} attendu / ${what} expected`);
  const bytes = value.type === 'atom' ? Buffer.from(value.value, 'latin1') : value.value;
  let name = bytes.some((b) => b > 0x7f) && session.enabled.has('UTF8=ACCEPT') ? bytes.toString('utf8') : decodeMailboxName(bytes);
  while (name.length > 1 && name.endsWith(FOLDER_DELIMITER)) name = name.slice(0, -1);
  return name;
}

/** a store name as the wire writes it */
export const wireName = (name: string): string => encodeMailboxName(name);

/** the logged-in user: the registry's states guarantee one for every mailbox command */
export function userOf(session: ImapSession): ImapUser {
  if (!session.user) throw new Error('a mailbox command ran before login');
  return session.user;
}

const REFUSALS: Record<StoreRefusalCode, { code: string; fr: string; en: string }> = {
  NOT_FOUND: { code: 'NONEXISTENT', fr: "Ce dossier n'existe pas", en: 'No such folder' },
  EXISTS: { code: 'ALREADYEXISTS', fr: 'Un dossier de ce nom existe déjà', en: 'A folder of that name already exists' },
  PROTECTED: { code: 'CANNOT', fr: 'Les dossiers standard ne se renomment ni ne se suppriment', en: 'Standard folders cannot be renamed or deleted' },
  // RFC 9051 §7.1: the code a DELETE of a folder with children gets
  HAS_CHILDREN: { code: 'HASCHILDREN', fr: "Ce dossier contient d'autres dossiers : supprimez-les d'abord", en: 'This folder has folders below it: delete them first' },
  LIMIT: { code: 'LIMIT', fr: 'Refusé par une limite ou une règle de nommage', en: 'Refused by a limit or a naming rule' },
};

/** the store's own English detail when it names no folder (those may be 8-bit) */
const detail = (error: StoreRefusal): string => (error.code === 'LIMIT' || error.code === 'PROTECTED' ? ` (${error.message})` : '');

export interface AnswerOptions {
  /** a missing folder is the target of APPEND/COPY/MOVE: the client may create it (RFC 3501 TRYCREATE) */
  target?: boolean;
}

/** The answer for an error a mailbox command met; anything unexpected is thrown on. */
export function answerFor(error: unknown, options: AnswerOptions = {}): CommandResult {
  if (error instanceof ArgumentError || error instanceof SequenceError) return bad(error.message);
  if (error instanceof Utf7Error) {
    return no(`Nom de dossier invalide (UTF-7 modifié) / Invalid mailbox name (modified UTF-7): ${error.message}`, 'CANNOT');
  }
  if (error instanceof StoreRefusal) {
    if (error.code === 'NOT_FOUND' && options.target) {
      return no("Le dossier de destination n'existe pas : créez-le d'abord / The target folder does not exist: create it first", 'TRYCREATE');
    }
    const r = REFUSALS[error.code];
    return no(`${r.fr} / ${r.en}${detail(error)}`, r.code);
  }
  throw error;
}

/**
 * STORE, EXPUNGE or MOVE in a folder opened with EXAMINE. READ-ONLY is the code RFC 3501 §7.1
 * gives for a mailbox selected read-only: the client learns why, and that SELECT would do.
 */
export const readOnlyMailbox = (): CommandResult => no('Dossier ouvert en lecture seule (EXAMINE) / The mailbox is read-only (EXAMINE)', 'READ-ONLY');

export const noSuchFolder = (options: AnswerOptions = {}): CommandResult =>
  answerFor(new StoreRefusal('NOT_FOUND', 'no such folder'), options);
