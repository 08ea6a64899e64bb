import { describe, expect, it } from 'vitest';
import { CommandReader, type ReaderEvent, type ReaderLimits } from '../../../src/imap/protocol/reader.js';

const LIMITS: ReaderLimits = { maxLineBytes: 100, maxLiteralBytes: 50, appendLimit: 1000, maxLiterals: 3 };

/** what the reader made of the input, with commands as readable text */
function read(input: string | Buffer, chunks: number[] = [], limits = LIMITS, loggedIn = true) {
  const events: Array<string | ReaderEvent> = [];
  const reader = new CommandReader(limits, (e) =>
    events.push(
      e.kind === 'command'
        ? `CMD ${e.command.lines.map((l, i) => l.toString('latin1') + (i < e.command.literals.length ? `<${e.command.literals[i]!.toString('latin1')}>` : '')).join('')}`
        : e.kind === 'continue'
          ? '+'
          : e,
    ),
  );
  reader.loggedIn = loggedIn;
  const bytes = Buffer.isBuffer(input) ? input : Buffer.from(input, 'latin1');
  let pos = 0;
  for (const size of chunks) {
    reader.push(bytes.subarray(pos, pos + size));
    pos += size;
  }
  reader.push(bytes.subarray(pos));
  return { events, reader };
}

describe('command reader', () => {
  it('reads a line as a command, CRLF or bare LF', () => {
    expect(read('a1 NOOP\r\na2 CAPABILITY\n').events).toEqual(['CMD a1 NOOP', 'CMD a2 CAPABILITY']);
  });

  it('ignores blank lines between commands', () => {
    expect(read('\r\n\r\na1 NOOP\r\n').events).toEqual(['CMD a1 NOOP']);
  });

  it('asks for a synchronising literal and takes exactly n bytes, CRLF and braces included', () => {
    const { events } = read('a1 LOGIN {6}\r\nab\r\n{}  "pw"\r\n');
    expect(events).toEqual(['+', 'CMD a1 LOGIN {6}<ab\r\n{}>  "pw"']);
  });

  it('takes a LITERAL+ literal without asking', () => {
    expect(read('a1 LOGIN {3+}\r\nbob {2+}\r\npw\r\n').events).toEqual(['CMD a1 LOGIN {3+}<bob> {2+}<pw>']);
  });

  it('takes an empty literal', () => {
    expect(read('a1 LOGIN {0}\r\n {0+}\r\n\r\n').events).toEqual(['+', 'CMD a1 LOGIN {0}<> {0+}<>']);
  });

  it('gives the same commands whatever the chunking, at every byte boundary', () => {
    const input = 'a1 LOGIN {6}\r\nhe{1}o {3+}\r\n\r\n\r\r\na2 NOOP\r\n\r\na3 APPEND INBOX {10+}\r\n0123456789\r\n';
    const whole = read(input).events;
    expect(whole).toEqual(['+', 'CMD a1 LOGIN {6}<he{1}o> {3+}<\r\n\r>', 'CMD a2 NOOP', 'CMD a3 APPEND INBOX {10+}<0123456789>']);
    for (let cut = 1; cut < input.length; cut++) expect(read(input, [cut]).events, `cut at ${cut}`).toEqual(whole);
    // one byte at a time
    expect(read(input, Array(input.length).fill(1)).events).toEqual(whole);
  });

  it('answers BAD to an over-long line and reads the next command in step', () => {
    const { events } = read(`a1 NOOP ${'x'.repeat(200)}\r\na2 NOOP\r\n`);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({ kind: 'refuse', tag: 'a1', status: 'BAD', fatal: false });
    expect((events[0] as { text: string }).text).toMatch(/Line too long/);
    expect(events[1]).toBe('CMD a2 NOOP');
  });

  it('skips the {n+} literal an over-long line announces, so its bytes are never run as commands', () => {
    const evil = 'a9 DELETE INBOX\r\n';
    const input = `a1 APPEND INBOX ${'x'.repeat(150)} {${evil.length}+}\r\n${evil}\r\na2 NOOP\r\n`;
    for (let cut = 1; cut < input.length; cut += 7) {
      const { events } = read(input, [cut]);
      expect(events.filter((e) => typeof e === 'string')).toEqual(['CMD a2 NOOP']);
      expect(events[0]).toMatchObject({ kind: 'refuse', tag: 'a1' });
    }
  });

  it('refuses a synchronising literal over the limit before it is sent: NO [TOOBIG] for APPEND, BAD otherwise', () => {
    const append = read('a1 APPEND INBOX {5000}\r\na2 NOOP\r\n').events;
    expect(append[0]).toMatchObject({ kind: 'refuse', tag: 'a1', status: 'NO', code: 'TOOBIG', fatal: false });
    expect(append[1]).toBe('CMD a2 NOOP');
    const login = read('a1 LOGIN {51}\r\na2 NOOP\r\n').events;
    expect(login[0]).toMatchObject({ kind: 'refuse', status: 'BAD', code: 'TOOBIG', fatal: false });
    expect(login[1]).toBe('CMD a2 NOOP');
    expect(append).not.toContain('+');
  });

  it('lets APPEND take a literal up to APPENDLIMIT', () => {
    const body = 'y'.repeat(1000);
    expect(read(`a1 APPEND INBOX {1000}\r\n${body}\r\n`).events).toEqual(['+', `CMD a1 APPEND INBOX {1000}<${body}>`]);
    expect(read(`a1 UID APPEND INBOX {1000}\r\n`).events[0]).toBe('+');
  });

  it('allows only small literals before login, APPEND included', () => {
    const big = { ...LIMITS, maxLiteralBytes: 100_000, appendLimit: 1_000_000 };
    expect(read('a1 LOGIN {8192}\r\n', [], big, false).events).toEqual(['+']);
    expect(read('a1 LOGIN {8193}\r\n', [], big, false).events[0]).toMatchObject({ kind: 'refuse', status: 'BAD', code: 'TOOBIG' });
    expect(read('a1 APPEND INBOX {9000}\r\n', [], big, false).events[0]).toMatchObject({ kind: 'refuse', status: 'BAD', code: 'TOOBIG' });
    expect(read('a1 APPEND INBOX {9000}\r\n', [], big, true).events).toEqual(['+']);
  });

  it('stops reading after a {n+} literal over the limit: its bytes cannot be told from commands', () => {
    const { events } = read('a1 APPEND INBOX {5000+}\r\na2 NOOP\r\n');
    expect(events).toEqual([expect.objectContaining({ kind: 'refuse', tag: 'a1', status: 'BAD', code: 'TOOBIG', fatal: true })]);
  });

  it('refuses more literals than allowed in one command', () => {
    const { events } = read('a1 X {1+}\r\na {1+}\r\nb {1+}\r\nc {1}\r\na2 NOOP\r\n');
    expect(events[0]).toMatchObject({ kind: 'refuse', tag: 'a1', code: 'LIMIT', fatal: false });
    expect(events[1]).toBe('CMD a2 NOOP');
  });

  it('names the tag * when the line has no valid tag', () => {
    const { events } = read(`${'('.repeat(150)}\r\n`);
    expect(events[0]).toMatchObject({ kind: 'refuse', tag: '*' });
  });

  it('holds nothing between commands, and forgets a partial command on reset', () => {
    const { reader, events } = read('a1 NOOP\r\n');
    expect(reader.idle).toBe(true);
    reader.push(Buffer.from('a2 LOGIN {3}\r\nab'));
    expect(reader.idle).toBe(false);
    reader.reset();
    expect(reader.idle).toBe(true);
    reader.push(Buffer.from('a3 NOOP\r\n'));
    expect(events.filter((e) => typeof e === 'string' && e.startsWith('CMD'))).toEqual(['CMD a1 NOOP', 'CMD a3 NOOP']);
  });

  it('keeps binary literal bytes as sent', () => {
    const bin = Buffer.from([0, 1, 0xff, 0x0d, 0x0a, 0x80]);
    const events: ReaderEvent[] = [];
    const reader = new CommandReader(LIMITS, (e) => events.push(e));
    reader.loggedIn = true;
    reader.push(Buffer.concat([Buffer.from('a1 APPEND INBOX {6+}\r\n'), bin, Buffer.from('\r\n')]));
    const cmd = events[0]!;
    expect(cmd.kind).toBe('command');
    if (cmd.kind === 'command') expect(cmd.command.literals[0]).toEqual(bin);
  });

  it('waits for the commands ahead before deciding a literal too large before login (a pipelined LOGIN)', () => {
    const big = { ...LIMITS, maxLiteralBytes: 100_000, appendLimit: 1_000_000 };
    const events: string[] = [];
    const reader = new CommandReader(big, (e) => events.push(e.kind === 'command' ? `CMD ${e.command.lines[0]!.toString('latin1')} ${e.command.literals.map((l) => l.length).join(',')}` : e.kind));
    let ahead = 0;
    reader.settled = () => ahead === 0;
    const literal = 'x'.repeat(9000);
    reader.push(Buffer.from(`l LOGIN u p\r\n`));
    ahead = 1; // the LOGIN is queued, not yet run
    reader.push(Buffer.from(`a APPEND INBOX {9000+}\r\n${literal.slice(0, 4000)}`));
    expect(reader.held).toBe(true);
    reader.push(Buffer.from(`${literal.slice(4000)}\r\nn NOOP\r\n`));
    expect(events).toEqual(['CMD l LOGIN u p ']);
    // LOGIN ran and succeeded: the literal is within APPEND's limit now
    ahead = 0;
    reader.loggedIn = true;
    reader.release();
    expect(reader.held).toBe(false);
    expect(events).toEqual(['CMD l LOGIN u p ', 'CMD a APPEND INBOX {9000+} 9000', 'CMD n NOOP ']);
  });

  it('refuses the held literal if the commands ahead did not log in', () => {
    const big = { ...LIMITS, maxLiteralBytes: 100_000, appendLimit: 1_000_000 };
    const events: ReaderEvent[] = [];
    const reader = new CommandReader(big, (e) => events.push(e));
    reader.settled = () => false;
    reader.push(Buffer.from('l LOGIN u wrong\r\na APPEND INBOX {9000}\r\n'));
    expect(reader.held).toBe(true);
    reader.settled = () => true;
    reader.release();
    expect(events.at(-1)).toMatchObject({ kind: 'refuse', tag: 'a', code: 'TOOBIG' });
  });
});
