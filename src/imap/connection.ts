/**
 * One client connection: the socket (plain, then TLS after STARTTLS, or TLS from the start),
 * the reader and writer, the queue of commands, and the timers. Commands run one at a time,
 * in the order received: pipelined commands wait their turn (simple, and sequence numbers stay
 * what the client thinks). A client sending faster than commands finish is paused at the
 * socket, and so is one that does not read what it asked for: the next command waits while
 * much output is queued. Timers (RFC 3501 §5.4): 1 min to log in (from the connection, however
 * busy the client keeps it), 30 min of silence once logged in, the IDLE limit while idling;
 * each ends the session with BYE. A client that takes no output for a few minutes while some
 * waits is cut off (no BYE could reach it).
 */
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { capabilities } from './capabilities.js';
import type { CommandSpec, ImapServices, SessionState } from './command.js';
import { CommandReader, type RawCommand, type ReaderEvent, type ReaderLimits } from './protocol/reader.js';
import { ConnectionClosed, ResponseWriter } from './protocol/writer.js';
import { Session, type MailboxSeats, type SessionPort } from './session.js';
import { peerIdentity, type PeerIdentity } from '../tls/peer-identity.js';

export interface ConnectionTimeouts {
  preLoginMs: number;
  autologoutMs: number;
  idleMs: number;
  /** no byte of output taken by the socket for this long, while some waits: the connection ends */
  stallMs: number;
}

export interface ConnectionDeps {
  id: string;
  services: ImapServices;
  commands: ReadonlyMap<string, CommandSpec>;
  seats: MailboxSeats;
  limits: ReaderLimits;
  timeouts: ConnectionTimeouts;
  /** for STARTTLS */
  secureContext: SecureContext;
  /** this client may log in without TLS (imap.clearTextLoginFrom) */
  clearTextLogin?: boolean;
  /** told once the connection is gone */
  onClose(): void;
}

/** over this many commands waiting, the socket stops reading until they shrink to RESUME_AT */
const PAUSE_AT = 16;
const RESUME_AT = 4;
/**
 * Over this many bytes of responses owed (streamed bodies counted by their length), the next
 * command waits for the writer (and the socket is not read meanwhile): a client that asks
 * without reading holds this much, not all its answers; a client that pipelines every FETCH
 * (mbsync) gets each answer as soon as the one before it is under way, not after all have run.
 */
export const OUTPUT_HIGH_WATER = 256 * 1024;
const HANDSHAKE_MS = 30_000;
const CLOSE_GRACE_MS = 2_000;

export class ImapConnection implements SessionPort {
  readonly writer: ResponseWriter;
  readonly session: Session;
  private socket: Socket;
  private reader: CommandReader;
  private queue: ReaderEvent[] = [];
  /** bytes of the lines and literals in `queue` */
  private queuedInput = 0;
  /**
   * Over this many bytes of commands waiting, the socket stops reading: two APPENDs of the
   * largest size, not as many as PAUSE_AT.
   */
  private readonly inputBudget: number;
  /** the queue is over PAUSE_AT commands or inputBudget bytes, until it shrinks back */
  private inputFull = false;
  /** the next command waits for the writer to drain (OUTPUT_HIGH_WATER) */
  private waitingOnOutput = false;
  private processing = false;
  private paused = false;
  /** the login timer counts from the connection: commands before login do not push it back */
  private readonly loginDeadline: number;
  private lineWaiter: { resolve: (line: string) => void; reject: (err: Error) => void } | undefined;
  private after: { kind: 'close'; bye?: string } | { kind: 'tls'; resolve: () => void; reject: (err: Error) => void } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private isIdling = false;
  private closed = false;
  private ending = false;
  secure: boolean;
  peer: PeerIdentity | undefined;
  get loginAllowed(): boolean {
    return this.secure || this.deps.clearTextLogin === true;
  }

  constructor(
    socket: Socket,
    private readonly deps: ConnectionDeps,
  ) {
    this.socket = socket;
    // The writer already joins responses into large writes: Nagle's algorithm would only hold
    // back the last small one (a tagged OK after a body) until the client's delayed ACK, 40 ms.
    socket.setNoDelay(true);
    this.secure = socket instanceof TLSSocket;
    if (socket instanceof TLSSocket) this.peer = peerIdentity(socket);
    this.loginDeadline = Date.now() + deps.timeouts.preLoginMs;
    this.inputBudget = 2 * Math.max(deps.limits.appendLimit, deps.limits.maxLiteralBytes);
    this.writer = new ResponseWriter(socket, undefined, deps.timeouts.stallMs);
    this.writer.onStreamError = (err) => deps.services.log.error({ err, door: 'imap', session: deps.id }, 'a stored message could not be read while sending it');
    this.writer.onStall = () => this.stalled();
    this.reader = new CommandReader(deps.limits, (event) => this.onEvent(event));
    // A literal's limit depends on whether the client is logged in: while commands ahead of it
    // (a pipelined LOGIN) have not run, the reader waits to decide.
    this.reader.settled = () => this.lineWaiter !== undefined || (!this.processing && this.queue.length === 0);
    this.session = new Session({
      id: deps.id,
      clientIp: socket.remoteAddress ?? '',
      services: deps.services,
      commands: deps.commands,
      seats: deps.seats,
      port: this,
    });
    this.attach(socket);
    this.stateChanged('not-authenticated');
  }

  /** the server's greeting, with its capabilities (RFC 3501 §7.1.1 allows them in the code) */
  greet(): void {
    this.writer.untaggedText(`OK [CAPABILITY ${this.capabilities().join(' ')}] mss-gateway prêt / ready`);
  }

  capabilities(): string[] {
    return capabilities(
      { secure: this.secure, loginAllowed: this.loginAllowed, state: this.session.state, has: (c) => this.session.has(c), certificate: this.peer?.authorized === true },
      this.deps.services.config.limits.maxMessageBytes,
    );
  }

  /** refuses the connection at once (too many connections): BYE, then closed */
  refuse(text: string): void {
    this.writer.untaggedText(`BYE ${text}`);
    void this.end();
  }

  /** the server stops: BYE to the client, then the connection ends */
  shutdown(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.writer.untaggedText('BYE Arrêt du serveur, reconnectez-vous plus tard / Server shutting down, reconnect later');
    return this.end();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** memory this connection holds for its client: commands waiting to run, responses waiting to leave */
  get buffered(): { input: number; output: number } {
    return { input: this.queuedInput + this.reader.heldBytes, output: this.writer.queuedBytes };
  }

  // --- SessionPort ---

  readLine(): Promise<string> {
    while (this.queue.length > 0) {
      const event = this.dequeue();
      if (event.kind === 'command') return Promise.resolve(lineOf(event.command));
      if (!this.answerOutOfBand(event)) return Promise.reject(new ConnectionClosed('connection closed'));
    }
    if (this.closed) return Promise.reject(new ConnectionClosed('connection closed'));
    const waiting = new Promise<string>((resolve, reject) => (this.lineWaiter = { resolve, reject }));
    // The line awaited may be behind a literal the reader holds back: decide it now.
    this.releaseReader();
    return waiting;
  }

  cancelReadLine(): void {
    // The command that waited has ended (IDLE failing): the next line is a command again.
    this.lineWaiter = undefined;
  }

  upgradeAfterAnswer(): Promise<void> {
    return new Promise((resolve, reject) => (this.after = { kind: 'tls', resolve, reject }));
  }

  closeAfterAnswer(bye?: string): void {
    this.after = { kind: 'close', bye };
  }

  stateChanged(state: SessionState): void {
    this.reader.loggedIn = state !== 'not-authenticated';
    this.arm();
  }

  idling(on: boolean): void {
    this.isIdling = on;
    this.arm();
  }

  // --- the socket ---

  private readonly onData = (chunk: Buffer) => {
    // Only the autologout timer measures silence; the login and IDLE limits are deadlines.
    if (!this.isIdling && this.session.state !== 'not-authenticated') this.timer?.refresh();
    this.reader.push(chunk);
    if (this.reader.held) this.reading();
  };
  private readonly onSocketClose = () => this.closedNow();
  private readonly onSocketError = (err: Error) => {
    this.deps.services.log.debug({ door: 'imap', session: this.deps.id, err: { message: err.message, code: (err as NodeJS.ErrnoException).code } }, 'IMAP connection error');
    this.socket.destroy();
  };

  private attach(socket: Socket): void {
    socket.on('data', this.onData);
    socket.on('close', this.onSocketClose);
    socket.on('error', this.onSocketError);
  }

  private detach(socket: Socket): void {
    socket.off('data', this.onData);
    socket.off('close', this.onSocketClose);
    socket.off('error', this.onSocketError);
  }

  private arm(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    const { idleMs, autologoutMs } = this.deps.timeouts;
    const ms = this.isIdling ? idleMs : this.session.state === 'not-authenticated' ? Math.max(0, this.loginDeadline - Date.now()) : autologoutMs;
    this.timer = setTimeout(() => this.expired(), ms);
    this.timer.unref();
  }

  private expired(): void {
    // A command still at work (a long FETCH to a slow client) is not silence; one waiting for
    // the client (AUTHENTICATE's answer) is. A client that stopped reading is the writer's
    // stall timer's business. Before login the limit is a deadline, busy or not.
    if (this.session.busy && !this.isIdling && !this.lineWaiter && this.session.state !== 'not-authenticated') return this.arm();
    const text = this.isIdling
      ? 'BYE IDLE trop long, reconnectez-vous / IDLE too long, reconnect'
      : this.session.state === 'not-authenticated'
        ? 'BYE Délai de connexion dépassé / Login timeout'
        : 'BYE Déconnexion automatique après inactivité / Autologout: idle for too long';
    this.writer.untaggedText(text);
    void this.end();
  }

  /** the socket took nothing for stallMs while output waited: nothing more can reach the client */
  private stalled(): void {
    if (this.closed) return;
    this.deps.services.log.warn(
      { door: 'imap', session: this.deps.id, ip: this.socket.remoteAddress, seconds: this.deps.timeouts.stallMs / 1000 },
      'IMAP connection ended: the client has read nothing of its answers for too long',
    );
    this.socket.destroy();
  }

  private onEvent(event: ReaderEvent): void {
    if (this.closed || this.ending) return;
    if (event.kind === 'command' && this.lineWaiter) {
      const waiter = this.lineWaiter;
      this.lineWaiter = undefined;
      waiter.resolve(lineOf(event.command));
      return;
    }
    if (event.kind === 'continue' && !this.processing && this.queue.length === 0) {
      this.writer.continuation('Prêt pour les données / Ready for literal data');
      return;
    }
    this.queue.push(event);
    this.queuedInput += eventBytes(event);
    // Counted in bytes too: 16 APPENDs of 20 MB are not 16 NOOPs.
    if (this.queue.length > PAUSE_AT || this.queuedInput > this.inputBudget) {
      this.inputFull = true;
      this.reading();
    }
    void this.process();
  }

  private dequeue(): ReaderEvent {
    const event = this.queue.shift()!;
    this.queuedInput -= eventBytes(event);
    if (this.inputFull && this.queue.length <= RESUME_AT && this.queuedInput <= this.inputBudget / 2) {
      this.inputFull = false;
      this.reading();
    }
    return event;
  }

  /** reads the socket unless the queue is full, the writer is behind, or the reader holds a literal back */
  private reading(): void {
    if (this.closed) return;
    const pause = this.inputFull || this.waitingOnOutput || this.reader.held;
    if (pause === this.paused) return;
    this.paused = pause;
    if (pause) this.socket.pause();
    else this.socket.resume();
  }

  /** the commands ahead of a held-back literal have run (or a command waits for a line): the reader goes on */
  private releaseReader(): void {
    if (!this.reader.held || !this.reader.settled()) return;
    this.reader.release();
    this.reading();
  }

  /** the next command waits until the writer has taken what is owed down to the mark */
  private async outputRoom(): Promise<void> {
    this.waitingOnOutput = true;
    this.reading();
    try {
      await this.writer.below(OUTPUT_HIGH_WATER);
    } finally {
      this.waitingOnOutput = false;
      this.reading();
    }
  }

  /** a continuation or a refusal met where a line was awaited; false when the connection must end */
  private answerOutOfBand(event: Exclude<ReaderEvent, { kind: 'command' }>): boolean {
    if (event.kind === 'continue') {
      this.writer.continuation('Prêt pour les données / Ready for literal data');
      return true;
    }
    this.writer.tagged(event.tag, event.status, event.text, event.code);
    if (event.fatal) {
      this.writer.untaggedText('BYE Flux de commandes interrompu / Command stream cannot be followed');
      void this.end();
      return false;
    }
    return true;
  }

  private async process(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      while (this.queue.length > 0 && !this.closed && !this.ending) {
        if (this.writer.pendingBytes > OUTPUT_HIGH_WATER) {
          await this.outputRoom();
          continue;
        }
        const event = this.dequeue();
        if (event.kind !== 'command') {
          if (!this.answerOutOfBand(event)) return;
          continue;
        }
        await this.session.run(event.command);
        const after = this.after;
        this.after = undefined;
        if (after?.kind === 'close') {
          if (after.bye) this.writer.untaggedText(`BYE ${after.bye}`);
          await this.end();
          return;
        }
        if (after?.kind === 'tls') {
          try {
            await this.upgrade();
            after.resolve();
          } catch (err) {
            after.reject(err as Error);
            this.socket.destroy();
            return;
          }
        }
      }
    } catch (err) {
      // The socket went while waiting for the writer: nothing failed.
      if (!(err instanceof ConnectionClosed)) this.deps.services.log.error({ err, door: 'imap', session: this.deps.id }, 'IMAP session failed');
      this.socket.destroy();
    } finally {
      this.processing = false;
    }
    if (!this.closed && !this.ending) this.releaseReader();
  }

  /**
   * STARTTLS, once its OK is written. Whatever the client sent after STARTTLS in clear is
   * dropped (a man in the middle could have added it), then the handshake runs on the socket.
   */
  private async upgrade(): Promise<void> {
    await this.writer.drain();
    const plain = this.socket;
    this.detach(plain);
    plain.pause();
    this.reader.reset();
    this.queue = [];
    this.queuedInput = 0;
    this.inputFull = false;
    this.paused = false;
    const secure = new TLSSocket(plain, { isServer: true, secureContext: this.deps.secureContext, requestCert: true, rejectUnauthorized: false });
    this.socket = secure;
    this.writer.retarget(secure);
    this.attach(secure);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('TLS handshake timeout')), HANDSHAKE_MS);
      secure.once('secure', () => {
        clearTimeout(timer);
        resolve();
      });
      secure.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    this.secure = true;
    this.peer = peerIdentity(secure);
    // (the login deadline still counts from the connection)
    this.arm();
  }

  /** writes what is queued (a little while at most), then closes */
  private async end(): Promise<void> {
    if (this.closed) return;
    if (this.ending) return new Promise((resolve) => this.socket.once('close', () => resolve()));
    this.ending = true;
    const socket = this.socket;
    const gone = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const force = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
    force.unref();
    try {
      await Promise.race([this.writer.drain(), gone]);
    } catch {
      // the socket went first
    }
    socket.end();
    await gone;
    clearTimeout(force);
  }

  private closedNow(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.writer.close();
    this.queue = [];
    this.queuedInput = 0;
    this.lineWaiter?.reject(new ConnectionClosed('connection closed'));
    this.lineWaiter = undefined;
    if (this.after?.kind === 'tls') this.after.reject(new ConnectionClosed('connection closed'));
    this.after = undefined;
    this.session.end();
    this.deps.onClose();
  }
}

/** the bytes a queued event holds */
function eventBytes(event: ReaderEvent): number {
  if (event.kind !== 'command') return 0;
  let n = 0;
  for (const l of event.command.lines) n += l.length;
  for (const l of event.command.literals) n += l.length;
  return n;
}

/** a line sent in answer to a continuation (AUTHENTICATE, IDLE's DONE), as text */
function lineOf(command: RawCommand): string {
  return command.lines.map((l) => l.toString('latin1')).join('');
}
