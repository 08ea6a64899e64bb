/**
 * One IMAP session: its state (RFC 3501 §3), who is logged in, the selected folder, and the
 * running of one command: parse, find its spec, check the state, call the handler, tell the
 * client what changed meanwhile (at the moments RFC 3501 §7.4.1 allows), then the tagged
 * answer. The socket, timers and TLS are the connection's (connection.ts), reached through
 * `SessionPort`.
 */
import type { CommandContext, CommandResult, CommandSpec, ImapServices, ImapSession, ImapUser, SessionState } from './command.js';
import { bad, condstoreOn, no } from './command.js';
import { parseCommand } from './protocol/parser.js';
import type { RawCommand } from './protocol/reader.js';
import { ConnectionClosed, type ResponseWriter } from './protocol/writer.js';
import type { ImapOut } from './protocol/values.js';
import { SelectedMailbox } from './selected.js';
import { SequenceError } from './sequence.js';
import { StoreRefusal, type Folder, type StoreRefusalCode } from '../store/types.js';
import type { PeerIdentity } from '../tls/peer-identity.js';

/** What a session asks of its connection. */
export interface SessionPort {
  readonly writer: ResponseWriter;
  readonly secure: boolean;
  /** under TLS, or from a client allowed clear-text logins (imap.clearTextLoginFrom) */
  readonly loginAllowed: boolean;
  /** the verified client certificate, once under TLS */
  readonly peer: PeerIdentity | undefined;
  readLine(): Promise<string>;
  /** the line awaited by readLine() is no longer wanted (its command ended): the next one is a command */
  cancelReadLine(): void;
  /** after the current tagged answer: upgrade to TLS */
  upgradeAfterAnswer(): Promise<void>;
  /** after the current tagged answer: close, saying `BYE <bye>` first when given */
  closeAfterAnswer(bye?: string): void;
  /** what CAPABILITY says now */
  capabilities(): string[];
  /** the autologout timer follows the state */
  stateChanged(state: SessionState): void;
  /** IDLE in progress: the IDLE timer applies instead of the autologout one */
  idling(on: boolean): void;
}

/** What the server counts across sessions: sessions per mailbox. */
export interface MailboxSeats {
  /** false when the mailbox already has as many sessions as allowed */
  take(mailboxId: number): boolean;
  release(mailboxId: number): void;
  readonly perMailbox: number;
}

export interface SessionDeps {
  id: string;
  clientIp: string;
  services: ImapServices;
  commands: ReadonlyMap<string, CommandSpec>;
  seats: MailboxSeats;
  port: SessionPort;
}

/** Commands during which EXPUNGE must not be said, unless by UID (RFC 3501 §7.4.1). */
const NUMBERED = new Set(['FETCH', 'STORE', 'SEARCH', 'SORT', 'THREAD']);

const REFUSAL_CODES: Record<StoreRefusalCode, string> = {
  NOT_FOUND: 'NONEXISTENT',
  EXISTS: 'ALREADYEXISTS',
  PROTECTED: 'CANNOT',
  HAS_CHILDREN: 'HASCHILDREN',
  LIMIT: 'LIMIT',
};

function stateRefusal(state: SessionState, spec: CommandSpec): CommandResult {
  if (state === 'not-authenticated') return bad('Authentifiez-vous d\'abord / Log in first');
  if (spec.states.includes('selected') && !spec.states.includes('authenticated')) return bad('Sélectionnez un dossier d\'abord / Select a mailbox first');
  if (spec.states.includes('not-authenticated')) return bad('Déjà authentifié / Already authenticated');
  return bad('Commande invalide dans cet état / Command not valid in this state');
}

export class Session implements ImapSession {
  readonly id: string;
  readonly clientIp: string;
  readonly services: ImapServices;
  readonly enabled = new Set<string>();
  condstore = false;
  private current: SessionState = 'not-authenticated';
  private who: ImapUser | undefined;
  private view: SelectedMailbox | undefined;
  private readonly commands: ReadonlyMap<string, CommandSpec>;
  private readonly seats: MailboxSeats;
  readonly port: SessionPort;
  /** the tag of the command running, for log lines */
  private running: string | undefined;

  constructor(deps: SessionDeps) {
    this.id = deps.id;
    this.clientIp = deps.clientIp;
    this.services = deps.services;
    this.commands = deps.commands;
    this.seats = deps.seats;
    this.port = deps.port;
  }

  get state(): SessionState {
    return this.current;
  }
  get user(): ImapUser | undefined {
    return this.who;
  }
  get selected(): SelectedMailbox | undefined {
    return this.view;
  }
  get secure(): boolean {
    return this.port.secure;
  }
  get loginAllowed(): boolean {
    return this.port.loginAllowed;
  }
  get busy(): boolean {
    return this.running !== undefined;
  }
  get peer(): PeerIdentity | undefined {
    return this.port.peer;
  }
  /** the names of the commands this server has, for CAPABILITY */
  has(command: string): boolean {
    return this.commands.has(command);
  }

  capabilities(): string[] {
    return this.port.capabilities();
  }

  /** A seat for this mailbox (the per-mailbox cap), to be taken before `authenticate`. */
  takeSeat(mailboxId: number): boolean {
    return this.seats.take(mailboxId);
  }

  authenticate(user: ImapUser): void {
    this.who = user;
    this.current = 'authenticated';
    this.port.stateChanged(this.current);
    this.services.log.info({ door: 'imap', session: this.id, address: user.address, ip: this.clientIp }, 'IMAP login');
  }

  async select(folder: Folder, options: { readOnly: boolean }): Promise<SelectedMailbox> {
    if (this.view) {
      this.view.close();
      this.view = undefined;
      this.current = 'authenticated';
      // RFC 7162 §3.2.11: the client learns where the old mailbox's responses end.
      if (this.enabled.has('QRESYNC')) this.port.writer.untaggedText('OK [CLOSED] Dossier précédent fermé / Previous mailbox closed');
    }
    const view = await SelectedMailbox.open(this.services.store, folder, options);
    this.view = view;
    this.current = 'selected';
    return view;
  }

  unselect(): void {
    this.view?.close();
    this.view = undefined;
    if (this.current === 'selected') this.current = 'authenticated';
  }

  readLine(): Promise<string> {
    return this.port.readLine();
  }

  closeAfterAnswer(bye?: string): void {
    this.port.closeAfterAnswer(bye);
  }

  logout(): void {
    this.current = 'logout';
    this.port.closeAfterAnswer();
  }

  startTls(): Promise<void> {
    return this.port.upgradeAfterAnswer();
  }

  /** the session ends (connection closed): seats and subscriptions are given back */
  end(): void {
    this.unselect();
    if (this.who) this.seats.release(this.who.mailboxId);
    this.who = undefined;
    this.current = 'logout';
  }

  /**
   * Says what changed in the selected folder. `expunge` false holds expunges back (RFC 3501
   * §7.4.1). A folder deleted under the session ends it with BYE, as the client cannot go on.
   */
  async flushUpdates(expunge: boolean): Promise<void> {
    const view = this.view;
    if (!view) return;
    const writer = this.port.writer;
    const alive = await view.sync(
      { expunge, qresync: this.enabled.has('QRESYNC'), condstore: condstoreOn(this) },
      (items) => writer.untagged(items),
    );
    if (!alive) {
      this.unselect();
      writer.untaggedText('BYE [NONEXISTENT] Le dossier sélectionné a été supprimé / The selected mailbox was deleted');
      this.current = 'logout';
      this.port.closeAfterAnswer();
    }
  }

  /**
   * IDLE (RFC 2177): changes are said as they come, until the client sends DONE.
   * Returns the line that ended it. Each batch of changes waits for the client to take it
   * before the next is read: a client that idles without reading holds no growing queue.
   */
  async idle(): Promise<string> {
    const view = this.view;
    let wake: (() => void) | undefined;
    let pending = false;
    const notify = () => {
      pending = true;
      wake?.();
    };
    if (view) view.onChange = notify;
    this.port.idling(true);
    const writer = this.port.writer;
    try {
      await this.flushUpdates(true);
      await writer.drain();
      let done = false;
      let text = '';
      let error: unknown;
      this.readLine().then(
        (t) => {
          done = true;
          text = t;
          wake?.();
        },
        (err: unknown) => {
          done = true;
          error = err;
          wake?.();
        },
      );
      for (;;) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          if (pending || done) resolve();
        });
        wake = undefined;
        if (done) {
          if (error !== undefined) throw error;
          return text;
        }
        pending = false;
        await this.flushUpdates(true);
        // the folder was deleted: the session is ending
        if (this.current === 'logout') return 'DONE';
        await writer.drain();
      }
    } finally {
      if (view && view.onChange === notify) view.onChange = undefined;
      // Ended by anything but the client's line (a failed flush, the folder gone): the line
      // still awaited must not swallow the next command.
      this.port.cancelReadLine();
      this.port.idling(false);
    }
  }

  /** Runs one whole command, ending with its tagged answer. */
  async run(raw: RawCommand): Promise<void> {
    const writer = this.port.writer;
    const parsed = parseCommand(raw, { utf8: this.enabled.has('UTF8=ACCEPT') });
    if (!parsed.ok) {
      writer.tagged(parsed.failure.tag, 'BAD', parsed.failure.text);
      return;
    }
    const command = parsed.command;
    const spec = this.commands.get(command.command);
    let result: CommandResult;
    if (!spec) {
      result = bad(`Commande inconnue ${command.uid ? 'UID ' : ''}${command.command} / Unknown command`);
    } else if (command.uid && !spec.uid) {
      result = bad(`${command.command} ne peut suivre UID / ${command.command} cannot follow UID`);
    } else if (!spec.states.includes(this.current)) {
      result = stateRefusal(this.current, spec);
    } else {
      this.running = command.tag;
      try {
        result = await spec.handle(this.context(command.tag), command);
        if (this.current === 'selected') await this.flushUpdates(command.uid || !NUMBERED.has(command.command));
      } catch (err) {
        if (err instanceof ConnectionClosed) return;
        result = this.failure(err, command.command);
      } finally {
        this.running = undefined;
      }
    }
    writer.tagged(command.tag, result.status, result.text, result.code);
  }

  private failure(err: unknown, command: string): CommandResult {
    if (err instanceof SequenceError) return bad(err.message);
    if (err instanceof StoreRefusal) return no(err.message, REFUSAL_CODES[err.code]);
    this.services.log.error({ err, door: 'imap', session: this.id, command }, 'IMAP command failed with an error');
    return no('Erreur interne, réessayez plus tard / Internal error, try again later', 'SERVERBUG');
  }

  private context(tag: string): CommandContext {
    const writer = this.port.writer;
    return {
      tag,
      session: this,
      services: this.services,
      untagged: (...items: ImapOut[]) => writer.untagged(items),
      untaggedText: (text: string) => writer.untaggedText(text),
      continuation: (text?: string) => writer.continuation(text),
      drain: () => writer.drain(),
    };
  }
}
