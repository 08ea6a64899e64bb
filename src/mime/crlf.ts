/**
 * Line ends to CRLF, as they travel and as IMAP serves them (RFC 5322 §2.3 allows no bare CR
 * or LF). A client that sent bare LFs would otherwise get a stored message that IMAP clients
 * read differently from its size; normalising at ingest keeps the file, its index and
 * RFC822.SIZE in agreement. A lone CR is left alone: it is rare and meaning-free.
 */
import { Transform } from 'node:stream';

const LF = 0x0a;
const CR = 0x0d;

export class CrlfNormaliser extends Transform {
  /** whether the last byte passed on was a CR (a CRLF may straddle two chunks) */
  private lastWasCr = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: (error: null, data?: Buffer) => void): void {
    done(null, this.normalise(chunk));
  }

  normalise(chunk: Buffer): Buffer {
    let bare = 0;
    for (let i = chunk.indexOf(LF); i !== -1; i = chunk.indexOf(LF, i + 1)) {
      const before = i === 0 ? this.lastWasCr : chunk[i - 1] === CR;
      if (!before) bare++;
    }
    let out = chunk;
    if (bare) {
      out = Buffer.allocUnsafe(chunk.length + bare);
      let from = 0;
      let to = 0;
      for (let i = chunk.indexOf(LF); i !== -1; i = chunk.indexOf(LF, i + 1)) {
        const before = i === 0 ? this.lastWasCr : chunk[i - 1] === CR;
        if (before) continue;
        to += chunk.copy(out, to, from, i);
        out[to++] = CR;
        from = i;
      }
      chunk.copy(out, to, from);
    }
    if (chunk.length) this.lastWasCr = chunk[chunk.length - 1] === CR;
    return out;
  }
}

/** The same, for a whole message in memory. */
export function toCrlf(message: Buffer): Buffer {
  return new CrlfNormaliser().normalise(message);
}
