/**
 * An IMAPS session read as text, for byte-exact checks of whole answers (literals and all):
 * a command's untagged part comes back as the exact text the server wrote (`text`) and split in
 * lines (`untagged`), with the tagged status. raw-imap.ts reads line by line instead, for the
 * protocol's edge cases.
 */
import { connect, type TLSSocket } from 'node:tls';

export interface Answer {
  /** the untagged lines, split at CRLF (a literal with CRLF in it spans lines) */
  untagged: string[];
  /** the untagged part exactly as written, CRLFs included */
  text: string;
  /** the tagged answer without its tag: `OK [APPENDUID 7 3] …` */
  tagged: string;
}

export class ImapText {
  private buffer = '';
  private waiters: Array<() => void> = [];
  private tags = 0;

  private constructor(private readonly socket: TLSSocket) {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.buffer += d;
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** connects over implicit TLS and reads the greeting */
  static async connect(port: number, ca: Buffer): Promise<ImapText> {
    const socket = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' });
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    const session = new ImapText(socket);
    await session.until(/^\* OK.*\r\n/m);
    return session;
  }

  /** waits until the text received so far matches, and takes it */
  async until(pattern: RegExp, timeout = 10_000): Promise<string> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const m = pattern.exec(this.buffer);
      if (m) {
        const taken = this.buffer.slice(0, m.index + m[0].length);
        this.buffer = this.buffer.slice(m.index + m[0].length);
        return taken;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} in ${JSON.stringify(this.buffer.slice(0, 500))}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  write(text: string | Buffer): void {
    this.socket.write(text);
  }

  nextTag(): string {
    return `t${++this.tags}`;
  }

  /** the answer to the command sent with `tag` */
  async answer(tag: string): Promise<Answer> {
    const all = await this.until(new RegExp(`^${tag} [^\\r]*\\r\\n`, 'm'));
    const at = all.lastIndexOf(`${tag} `);
    const text = all.slice(0, at);
    return { untagged: text.split('\r\n').filter(Boolean), text, tagged: all.slice(at + tag.length + 1, -2) };
  }

  /** sends a command; `literal` follows as a synchronising literal once the server says `+` */
  async command(text: string, literal?: Buffer): Promise<Answer> {
    const tag = this.nextTag();
    if (literal) {
      this.write(`${tag} ${text}{${literal.length}}\r\n`);
      await this.until(/^\+.*\r\n/m);
      this.write(Buffer.concat([literal, Buffer.from('\r\n')]));
    } else {
      this.write(`${tag} ${text}\r\n`);
    }
    return this.answer(tag);
  }

  async close(): Promise<void> {
    if (this.socket.destroyed) return;
    this.socket.end();
    this.socket.destroy();
  }
}
