/**
 * What a command module sees: one small file per command (src/imap/commands/), each exporting a
 * `CommandSpec`. The protocol layer (connection, parser, writer) finds the spec by name, checks
 * the session state, and calls `handle`; the handler reaches storage only through the store
 * interfaces in `services` and says everything through `ctx` (never by writing to the socket).
 */
import type { Config } from '../config.js';
import type { Login } from '../auth/login.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { BlobStore, Folder, Store } from '../store/types.js';
import type { PeerIdentity } from '../tls/peer-identity.js';
import type { ImapOut, ParsedCommand } from './protocol/values.js';

export type SessionState = 'not-authenticated' | 'authenticated' | 'selected' | 'logout';

export interface ImapUser {
  mailboxId: number;
  address: string;
}

/** The tagged answer a handler returns. `code` is the bracketed response code, e.g. `APPENDUID 7 12`. */
export interface CommandResult {
  status: 'OK' | 'NO' | 'BAD';
  code?: string;
  text: string;
}

export const ok = (text: string, code?: string): CommandResult => ({ status: 'OK', text, code });
export const no = (text: string, code?: string): CommandResult => ({ status: 'NO', text, code });
export const bad = (text: string, code?: string): CommandResult => ({ status: 'BAD', text, code });

/** What the protocol layer gives every command: the store and the rest of the gateway. */
export interface ImapServices {
  config: Config;
  store: Store;
  blobs: BlobStore;
  login: Login;
  log: Logger;
  metrics: Metrics;
}

/**
 * The selected folder as this session knows it (RFC 3501 §2.3.1: sequence numbers are the
 * session's own). Changes made elsewhere reach it through the change feed and are told to the
 * client only at the moments the RFC allows (selected.ts).
 */
export interface SelectedFolder {
  readonly folder: Folder;
  readonly readOnly: boolean;
  /** messages the client knows of (its EXISTS) */
  readonly exists: number;
  /** the UID at a sequence number (1-based), undefined past the end */
  uidAt(seq: number): number | undefined;
  /** the sequence number of a UID, undefined when the client does not know that UID */
  seqOf(uid: number): number | undefined;
  /**
   * The UIDs a sequence set names, ascending, deduplicated: `1:*,7` by sequence numbers, or by
   * UIDs when `byUid` (a UID set may name UIDs that do not exist: they are skipped).
   * Throws a `SequenceError` (sequence.ts) for a malformed set or, by number, one past EXISTS.
   */
  resolve(set: string, byUid: boolean): number[];
  /** the highest MODSEQ this session has told the client of */
  readonly highestModseq: number;
  /** the first unseen message when the folder was selected (SELECT's UNSEEN code), null when none */
  readonly firstUnseenUid: number | null;
  /** the message is \Recent to this session (RFC 3501 §2.3.2: to one session only) */
  isRecent(uid: number): boolean;
  /** how many of the messages the client knows are \Recent to this session */
  readonly recent: number;
  /**
   * The command has just told the client this message's flags as of this MODSEQ (STORE, or
   * FETCH setting \Seen): the next sync need not say that change again (RFC 3501 .SILENT asks
   * for no echo). Optional: a view without it simply repeats the FETCH, which is legal.
   */
  told?(uid: number, modseq: number): void;
}

export interface ImapSession {
  readonly id: string;
  readonly state: SessionState;
  readonly user?: ImapUser;
  readonly selected?: SelectedFolder;
  /** the connection is under TLS (IMAPS, or after STARTTLS) */
  readonly secure: boolean;
  /** a password may be given: under TLS, or from a client allowed clear-text logins */
  readonly loginAllowed: boolean;
  readonly clientIp: string;
  /** ENABLEd extensions (CONDSTORE, QRESYNC, UTF8=ACCEPT), upper-cased */
  readonly enabled: Set<string>;
  /** a client that used a CONDSTORE-enabling command (RFC 7162 §3.1): MODSEQ in FETCH answers */
  condstore: boolean;
  /** the verified client certificate, once under TLS (AUTHENTICATE EXTERNAL) */
  readonly peer: PeerIdentity | undefined;
  /** what CAPABILITY says now (LOGIN's OK carries it, ENABLE checks against it) */
  capabilities(): string[];
  /** a seat for this mailbox (the per-mailbox cap), to be taken before `authenticate`; false when full */
  takeSeat(mailboxId: number): boolean;
  /** after a successful login (LOGIN, AUTHENTICATE) */
  authenticate(user: ImapUser): void;
  /** SELECT / EXAMINE: replaces any selected folder; returns the view for the command's answer */
  select(folder: Folder, options: { readOnly: boolean }): Promise<SelectedFolder>;
  /** CLOSE / UNSELECT / a failed SELECT */
  unselect(): void;
  /** the next line the client sends (AUTHENTICATE's continuation, IDLE's DONE), without CRLF */
  readLine(): Promise<string>;
  /** LOGOUT: the connection ends once the tagged answer is written */
  logout(): void;
  /** the connection ends once the tagged answer is written, saying `BYE <bye>` first when given */
  closeAfterAnswer(bye?: string): void;
  /** IDLE: changes are said as they come until the client's next line, which is returned */
  idle(): Promise<string>;
  /** STARTTLS: upgrades the socket once the tagged OK is written */
  startTls(): Promise<void>;
}

/**
 * RFC 7162 §3.1: once the client used a CONDSTORE-enabling command (ENABLE CONDSTORE or
 * QRESYNC, SELECT (CONDSTORE), a MODSEQ item or key, CHANGEDSINCE, UNCHANGEDSINCE), FETCH
 * answers carry MODSEQ, and UID too when caused by STORE, by \Seen set, or by someone else.
 */
export function condstoreOn(session: Pick<ImapSession, 'condstore' | 'enabled'>): boolean {
  return session.condstore || session.enabled.has('CONDSTORE') || session.enabled.has('QRESYNC');
}

export interface CommandContext {
  readonly tag: string;
  readonly session: ImapSession;
  readonly services: ImapServices;
  /** `* <items…>`: e.g. untagged(num(3), atom('EXISTS')) */
  untagged(...items: ImapOut[]): void;
  /** `* <text>` as is, for simple answers: untaggedText('OK [UIDVALIDITY 7] UIDs valid') */
  untaggedText(text: string): void;
  /** `+ <text>` */
  continuation(text?: string): void;
  /** resolves once everything queued so far is written (backpressure for long FETCHes) */
  drain(): Promise<void>;
}

export interface CommandSpec {
  /** upper-cased: 'FETCH' */
  name: string;
  /** the states the command is valid in; others get BAD */
  states: readonly SessionState[];
  /** may follow UID (UID FETCH, UID STORE, UID COPY, UID MOVE, UID SEARCH, UID EXPUNGE) */
  uid?: boolean;
  handle(ctx: CommandContext, command: ParsedCommand): Promise<CommandResult>;
}
