import { describe, expect, it } from 'vitest';
import { astring, parseCommand, type ParseOptions } from '../../../src/imap/protocol/parser.js';
import { CommandReader, type RawCommand } from '../../../src/imap/protocol/reader.js';
import type { ImapValue } from '../../../src/imap/protocol/values.js';

/** the command as the reader assembles it from the bytes a client sends */
function raw(text: string | Buffer): RawCommand {
  let out: RawCommand | undefined;
  const reader = new CommandReader({ maxLineBytes: 10_000, maxLiteralBytes: 10_000, appendLimit: 10_000, maxLiterals: 10 }, (e) => {
    if (e.kind === 'command') out = e.command;
  });
  reader.push(Buffer.isBuffer(text) ? Buffer.concat([text, Buffer.from('\r\n')]) : Buffer.from(`${text}\r\n`, 'latin1'));
  if (!out) throw new Error('no command');
  return out;
}

function parse(text: string | Buffer, options?: ParseOptions) {
  return parseCommand(raw(text), options);
}

function args(text: string): ImapValue[] {
  const result = parse(text);
  if (!result.ok) throw new Error(result.failure.text);
  return result.command.args;
}

function failure(text: string | Buffer, options?: ParseOptions) {
  const result = parse(text, options);
  if (result.ok) throw new Error(`parsed: ${JSON.stringify(result.command)}`);
  return result.failure;
}

const s = (v: string, literal = false): ImapValue => ({ type: 'string', value: Buffer.from(v, 'latin1'), literal });
const a = (value: string): ImapValue => ({ type: 'atom', value });

describe('command parser', () => {
  it('reads the tag, the command upper-cased and the UID prefix', () => {
    const result = parse('A001 uid fetch 1:* (FLAGS)');
    expect(result).toEqual({ ok: true, command: { tag: 'A001', command: 'FETCH', uid: true, args: [a('1:*'), { type: 'list', items: [a('FLAGS')] }] } });
    expect(parse('x.y]z noop')).toMatchObject({ ok: true, command: { tag: 'x.y]z', command: 'NOOP', uid: false, args: [] } });
  });

  it('reads atoms, quoted strings with escapes, literals, NIL and nested lists', () => {
    expect(args('t X atom "quo\\"ted \\\\ s" {3}\r\nlit NIL nil (a (b "c") ()) \\Seen')).toEqual([
      a('atom'),
      s('quo"ted \\ s'),
      s('lit', true),
      { type: 'nil' },
      { type: 'nil' },
      { type: 'list', items: [a('a'), { type: 'list', items: [a('b'), s('c')] }, { type: 'list', items: [] }] },
      a('\\Seen'),
    ]);
  });

  it('keeps a literal byte for byte, CRLF and 8-bit included', () => {
    const body = Buffer.from('Subject: é\r\n\r\n"(]\0', 'utf8');
    const [, lit] = args(`t APPEND INBOX {${body.length}}\r\n${body.toString('latin1')}`);
    expect(lit).toEqual({ type: 'string', value: body, literal: true });
  });

  it('reads fetch attributes with their section and partial', () => {
    expect(args('t FETCH 1 (BODY.PEEK[HEADER.FIELDS (From "To")]<0.100> BODY[] body[1.2.MIME] BINARY[3]<5.1> RFC822.SIZE)')).toEqual([
      a('1'),
      {
        type: 'list',
        items: [
          { type: 'atom', value: 'BODY.PEEK', section: [a('HEADER.FIELDS'), { type: 'list', items: [a('From'), s('To')] }], partial: { start: 0, length: 100 } },
          { type: 'atom', value: 'BODY', section: [] },
          { type: 'atom', value: 'body', section: [a('1.2.MIME')] },
          { type: 'atom', value: 'BINARY', section: [a('3')], partial: { start: 5, length: 1 } },
          a('RFC822.SIZE'),
        ],
      },
    ]);
  });

  it('takes a literal inside a section', () => {
    const [, list] = args('t FETCH 1 (BODY[HEADER.FIELDS ({4}\r\nFrom)])');
    expect(list).toEqual({ type: 'list', items: [{ type: 'atom', value: 'BODY', section: [a('HEADER.FIELDS'), { type: 'list', items: [s('From', true)] }] }] });
  });

  it('leaves brackets alone in atoms that are not fetch attributes', () => {
    expect(args('t LOGIN user[1] pa]ss')).toEqual([a('user[1]'), a('pa]ss')]);
  });

  it('tolerates one trailing space', () => {
    expect(args('t NOOP ')).toEqual([]);
    expect(args('t SELECT INBOX ')).toEqual([a('INBOX')]);
  });

  it.each([
    ['t FETCH 1 (FLAGS', /missing "\)"/],
    ['t FETCH 1 FLAGS)', /unexpected "\)"/],
    ['t FETCH 1 ((FLAGS)', /missing "\)"/],
    ['t FETCH 1 (BODY[HEADER', /missing "\]"/],
    ['t FETCH 1 (BODY[HEADER)]', /Mismatched/],
    ['t LOGIN  a b', /extra space/],
    ['t LOGIN "a\\b" c', /Invalid escape/],
    ['t LOGIN "abc', /Unterminated quoted/],
    ['t LOGIN a"b" c', /Space expected/],
    ['t LOGIN a{3} b', /Malformed literal/],
    ['t FETCH 1 BODY[]<5>', /partial/],
    ['t FETCH 1 BODY[]<1.0>', /partial/],
    ['t FETCH 1 BODY[]<a.b>', /partial/],
    ['t APPEND INBOX ~{3+}\r\nabc', /Binary literal/],
    ['t', /Missing command/],
    ['t 123', /Invalid command name/],
    ['t UID', /Command expected after UID/],
    ['t UID 5', /Invalid command name after UID/],
  ])('refuses %j with a precise reason', (text, reason) => {
    const f = failure(text);
    expect(f.tag).toBe('t');
    expect(f.text).toMatch(reason);
    expect(f.text).toMatch(/ \/ /); // French / English
  });

  it('refuses bad tags, naming the answer *', () => {
    for (const tag of ['*', '+', 'a+b', 'a(b', 'a"b', 'a%b', 'a{b', 'a\\b']) {
      expect(failure(`${tag} NOOP`)).toEqual({ tag: '*', text: expect.stringMatching(/Invalid command tag/) });
    }
    expect(failure(Buffer.from('t\xe9 NOOP', 'latin1')).tag).toBe('*');
  });

  it('refuses 8-bit in a quoted string unless UTF8=ACCEPT, and 8-bit atoms always', () => {
    const quoted8 = Buffer.from('t LOGIN "jos\xc3\xa9" pw', 'latin1');
    expect(failure(quoted8).text).toMatch(/8-bit character in a quoted string/);
    const ok = parse(quoted8, { utf8: true });
    expect(ok.ok && astring(ok.command.args[0])).toBe('josé');
    expect(failure(Buffer.from('t LOGIN jos\xc3\xa9 pw', 'latin1')).text).toMatch(/8-bit character outside a string/);
  });

  it('refuses NUL and control characters', () => {
    expect(failure(Buffer.from('t LOGIN a\0 b', 'latin1')).text).toMatch(/NUL/);
    expect(failure(Buffer.from('t LOGIN a\x01 b', 'latin1')).text).toMatch(/Unexpected control character/);
  });

  it('refuses lists nested too deeply without exhausting the stack', () => {
    expect(failure(`t X ${'('.repeat(3000)}${')'.repeat(3000)}`).text).toMatch(/nested too deeply/);
  });

  it('never throws on random input: every line parses or fails with a reason', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const alphabet = ['(', ')', '[', ']', '<', '>', '.', '"', '\\', ' ', ' ', 'a', 'B', '1', '0', '*', ':', ',', '{', '}', '+', '~', '%', 'NIL', 'BODY', 'BODY.PEEK[', 'UID', '\0', '\x7f', '\xe9'];
    for (let i = 0; i < 3000; i++) {
      let text = 't X ';
      const n = 1 + Math.floor(random() * 30);
      for (let j = 0; j < n; j++) text += alphabet[Math.floor(random() * alphabet.length)];
      const command: RawCommand = { lines: [Buffer.from(text.replace(/\{\d*\+?\}$/, ''), 'latin1')], literals: [] };
      const result = parseCommand(command);
      if (!result.ok) expect(result.failure.text).toMatch(/ \/ /);
    }
  });

  it('gives the text of astrings', () => {
    const [x, y, z, w] = args('t X atom "q s" {2}\r\nli NIL');
    expect([astring(x), astring(y), astring(z), astring(w)]).toEqual(['atom', 'q s', 'li', 'NIL']);
    expect(astring({ type: 'list', items: [] })).toBeUndefined();
  });
});
