/**
 * A bare SMTP client on a raw socket, for the protocol's edge cases that a library client would
 * smooth over (command order, pipelining, odd line endings). Replies are read whole (multi-line
 * replies end at the line whose code is followed by a space).
 */
import net from 'node:net';
import tls from 'node:tls';

export class RawSmtp {
  private buffer = '';
  private waiters: Array<() => void> = [];
  closed = false;

  private constructor(private socket: net.Socket | tls.TLSSocket) {
    this.attach(socket);
  }

  private attach(socket: net.Socket | tls.TLSSocket): void {
    socket.on('data', (d: Buffer) => {
      this.buffer += d.toString('utf8');
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** `from`: the local address to connect from (any of 127.0.0.0/8 on loopback), to play another client */
  static async connect(port: number, from?: string): Promise<RawSmtp> {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress: from });
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const client = new RawSmtp(socket);
    await client.reply(); // greeting
    return client;
  }

  /** The next whole reply, e.g. "250-…\r\n250 OK"; rejects after 10 s or if the peer closed first. */
  async reply(): Promise<string> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const match = /^(?:\d{3}-.*\r\n)*\d{3}(?: .*)?\r\n/.exec(this.buffer);
      if (match) {
        this.buffer = this.buffer.slice(match[0].length);
        return match[0].trimEnd();
      }
      if (this.closed) throw new Error(`connection closed; unread: ${JSON.stringify(this.buffer)}`);
      if (Date.now() > deadline) throw new Error(`no reply; unread: ${JSON.stringify(this.buffer)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  write(text: string | Buffer): void {
    this.socket.write(text);
  }

  async command(line: string): Promise<string> {
    this.write(`${line}\r\n`);
    return this.reply();
  }

  /** STARTTLS and the handshake; what the server said before it is returned. */
  async startTls(ca: Buffer, options: tls.ConnectionOptions = {}): Promise<string> {
    const answer = await this.command('STARTTLS');
    if (!answer.startsWith('220')) throw new Error(`STARTTLS refused: ${answer}`);
    const plain = this.socket;
    plain.removeAllListeners('data');
    const secure = tls.connect({ socket: plain, ca, servername: 'localhost', ...options });
    await new Promise((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
    this.socket = secure;
    this.buffer = '';
    this.attach(secure);
    return answer;
  }

  /** Waits until the server closes the connection (bounded). */
  async waitClosed(ms = 5_000): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    return this.closed;
  }

  close(): void {
    this.socket.destroy();
  }
}

export const plainAuth = (user: string, password: string) => Buffer.from(`\0${user}\0${password}`).toString('base64');
