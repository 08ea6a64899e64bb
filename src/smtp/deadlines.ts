/**
 * Deadlines on what a client sends, not only on its silences. smtp-server's socketTimeout is
 * an idle timeout that every byte resets: a client trickling one byte a minute holds its
 * session (and its place under the connection caps) forever. Here a command line must be whole
 * within `commandMs` of its first byte, and a message within `dataMs` of the 354. Past either,
 * the command parser fails with a DeadlineError, which smtp-server answers with a 421 and a
 * close, as it does for an over-long line (the reply's words are in replies.ts).
 *
 * The parser (one per connection, a new one after STARTTLS) knows exactly when a line is open
 * and when DATA runs, so the watch sits on it; time the server itself takes (a handler, the
 * pipeline's back-pressure) does not count against a command line, only bytes left unfinished.
 */
import type { SMTPStream } from 'smtp-server/lib/smtp-stream.js';

export interface Deadlines {
  commandMs: number;
  dataMs: number;
}

export class DeadlineError extends Error {
  override name = 'DeadlineError';
  constructor(
    readonly phase: 'command' | 'data',
    ms: number,
  ) {
    // smtp-server replies "421 Error: <message>"; replies.ts knows these words.
    super(`${phase === 'command' ? 'command line' : 'DATA'} deadline passed (${Math.round(ms / 1000)} s)`);
  }
}

const LF = 0x0a;

type Write = SMTPStream['_write'];

/** Arms the deadlines on one parser; its own methods are wrapped, nothing else is touched. */
export function watchDeadlines(parser: SMTPStream, limits: Deadlines): void {
  let timer: NodeJS.Timeout | undefined;
  /** a command line has begun and not ended */
  let lineOpen = false;

  const arm = (phase: 'command' | 'data') => {
    clearTimeout(timer);
    const ms = phase === 'command' ? limits.commandMs : limits.dataMs;
    const expire = () => {
      timer = undefined;
      if (parser.isClosed || parser.destroyed) return;
      // Input queued for the parser: the client has sent more, and the wait is ours.
      if (parser.writableLength > 0) {
        timer = setTimeout(expire, 1000);
        timer.unref();
        return;
      }
      parser.destroy(new DeadlineError(phase, ms));
    };
    timer = setTimeout(expire, ms);
    timer.unref();
  };
  const disarm = () => {
    clearTimeout(timer);
    timer = undefined;
  };

  const write: Write = parser._write;
  parser._write = function (chunk, encoding, next) {
    if (!this._dataMode && chunk.length > 0) {
      const lastLf = chunk.lastIndexOf(LF);
      if (lastLf === chunk.length - 1) {
        lineOpen = false;
        disarm();
      } else if (lastLf !== -1 || !lineOpen) {
        // A new line begins in this chunk: its deadline starts now.
        lineOpen = true;
        arm('command');
      }
      // Otherwise the open line goes on, and its deadline stands.
    }
    write.call(this, chunk, encoding, next);
  };

  const startDataMode = parser.startDataMode;
  parser.startDataMode = function (maxBytes) {
    lineOpen = false;
    arm('data');
    return startDataMode.call(this, maxBytes);
  };

  const endDataMode = parser._endDataMode;
  parser._endDataMode = function (chunk, remainder, callback) {
    disarm();
    endDataMode.call(this, chunk, remainder, callback);
  };

  parser.once('close', disarm);
  parser.once('finish', disarm);
}
