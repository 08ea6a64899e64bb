/**
 * The parser's copy of a message, read beside the copy going to disk. While the parser works it
 * slows the body down as any reader would (bounded memory), but it can never stop it: when the
 * parser fails, or its answer is no longer needed, it is cut off and the body goes on to disk
 * alone. (mailparser stops reading when it fails; a plain pipe would then stall the body, and
 * the SMTP session with it, until the idle timeout.)
 */
import { PassThrough, type Readable } from 'node:stream';

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: Error };

export class ParserBranch<T> {
  readonly result: Promise<Parsed<T>>;
  private readonly input = new PassThrough({ highWaterMark: 256 * 1024 });
  private cut = false;

  constructor(
    private readonly source: Readable,
    parse: (input: Readable) => Promise<T>,
  ) {
    // destroy() below errors the input; the parser may have stopped listening by then.
    this.input.on('error', () => undefined);
    source.pipe(this.input);
    this.result = parse(this.input).then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => {
        this.stop();
        return { ok: false as const, error: error instanceof Error ? error : new Error(String(error)) };
      },
    );
  }

  /** Detaches the parser: the source no longer waits for it, and what it has not read is dropped. */
  stop(): void {
    if (this.cut) return;
    this.cut = true;
    // Unpiping releases a source waiting for the parser to drain.
    this.source.unpipe(this.input);
    this.input.destroy(new Error('the parser was detached from the message'));
  }
}
