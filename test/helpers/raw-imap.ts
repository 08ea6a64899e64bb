/**
 * A bare IMAP client on a real socket, for what a library client never sends: pipelined
 * commands, malformed syntax, literals over the limits, STARTTLS with commands injected after
 * it. Reads responses as lines, a literal `{n}` and its bytes kept in the line that announces it.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

export interface RawImapOptions {
  port: number;
  /** implicit TLS (IMAPS) */
  tls?: boolean;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** plain port only: connect from this loopback address (127.x.y.z), another client as the server sees it */
  localAddress?: string;
}

export class RawImap {
  private buffer = Buffer.alloc(0);
  private lines: string[] = [];
  private waiters: Array<() => void> = [];
  private ended = false;
  readonly closed: Promise<void>;

  private constructor(
    private socket: Socket | TLSSocket,
    private readonly options: RawImapOptions,
  ) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    this.listen(socket);
  }

  static async connect(options: RawImapOptions): Promise<RawImap> {
    const socket = options.tls
      ? tlsConnect({ host: '127.0.0.1', port: options.port, ca: options.ca, servername: 'localhost', cert: options.cert, key: options.key })
      : netConnect({ host: '127.0.0.1', port: options.port, localAddress: options.localAddress });
    await new Promise<void>((resolve, reject) => {
      socket.once(options.tls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    return new RawImap(socket, options);
  }

  private readonly onData = (chunk: Buffer) => {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    this.split();
  };

  private listen(socket: Socket): void {
    socket.on('data', this.onData);
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  private split(): void {
    let start = 0;
    for (;;) {
      const lf = this.buffer.indexOf(0x0a, start);
      if (lf === -1) break;
      let line = this.buffer.subarray(start, lf + 1).toString('latin1');
      const literal = /\{(\d+)\}\r\n$/.exec(line);
      if (literal) {
        const size = Number(literal[1]);
        if (this.buffer.length < lf + 1 + size) break; // the literal is not all here yet
        line += this.buffer.subarray(lf + 1, lf + 1 + size).toString('latin1');
        const rest = this.buffer.indexOf(0x0a, lf + 1 + size);
        if (rest === -1) break;
        line += this.buffer.subarray(lf + 1 + size, rest + 1).toString('latin1');
        this.lines.push(line.replace(/\r\n$/, ''));
        start = rest + 1;
        continue;
      }
      this.lines.push(line.replace(/\r\n$/, ''));
      start = lf + 1;
    }
    this.buffer = this.buffer.subarray(start);
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** false when the socket's buffer is over its mark (wait for `drained`) */
  write(data: string | Buffer): boolean {
    return this.socket.write(data);
  }

  /** resolves when what was written has been handed to the kernel, or after `timeoutMs`: false then */
  drained(timeoutMs: number): Promise<boolean> {
    if (this.socket.writableLength === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.socket.off('drain', done);
        resolve(false);
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.socket.once('drain', done);
    });
  }

  /** bytes written and not yet taken by the kernel: they pile up once the server stops reading */
  get unsent(): number {
    return this.socket.writableLength;
  }

  /** stops reading: the server's answers pile up in its socket, as with a client that does not read */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** the next response line; rejects when the server closed without one or after timeoutMs */
  async line(timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length === 0) {
      if (this.ended) throw new Error('connection closed by the server');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no response line in time');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.lines.shift()!;
  }

  /** lines up to and including the tagged answer of `tag` */
  async until(tag: string, timeoutMs = 10_000): Promise<string[]> {
    const out: string[] = [];
    for (;;) {
      const line = await this.line(timeoutMs);
      out.push(line);
      if (line.startsWith(`${tag} `)) return out;
    }
  }

  /** sends `tag command` and returns every line up to its tagged answer */
  async command(tag: string, command: string, timeoutMs?: number): Promise<string[]> {
    this.write(`${tag} ${command}\r\n`);
    return this.until(tag, timeoutMs);
  }

  /** whether the server sends nothing more for this long */
  async silent(ms: number): Promise<boolean> {
    await new Promise((r) => setTimeout(r, ms));
    return this.lines.length === 0;
  }

  /** the TLS handshake after a tagged OK to STARTTLS; `extra` bytes already received are dropped */
  async upgrade(): Promise<void> {
    const plain = this.socket;
    plain.off('data', this.onData);
    this.buffer = Buffer.alloc(0);
    this.lines = [];
    const secure = tlsConnect({ socket: plain, ca: this.options.ca, servername: 'localhost', cert: this.options.cert, key: this.options.key });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    this.socket = secure;
    secure.on('data', this.onData);
  }

  close(): void {
    this.socket.destroy();
  }
}
