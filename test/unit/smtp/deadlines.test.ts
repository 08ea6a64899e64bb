/**
 * Deadlines on smtp-server's own command parser: a command line must be whole within its
 * deadline from its first byte, a DATA phase within its own; complete lines, however many,
 * never trip them.
 */
import { SMTPStream } from 'smtp-server/lib/smtp-stream.js';
import { describe, expect, it } from 'vitest';
import { DeadlineError, watchDeadlines } from '../../../src/smtp/deadlines.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function parser() {
  const p = new SMTPStream();
  const commands: string[] = [];
  const errors: Error[] = [];
  p.oncommand = (command, callback) => {
    commands.push(command.toString());
    if (command.toString() === 'DATA') p.startDataMode();
    callback?.();
  };
  p.on('error', (e) => errors.push(e));
  watchDeadlines(p, { commandMs: 150, dataMs: 300 });
  return { p, commands, errors };
}

describe('command and DATA deadlines', () => {
  it('fails a command line that trickles in for longer than its deadline', async () => {
    const { p, errors } = parser();
    // Eight bytes 40 ms apart: the deadline must have fired within them.
    for (let i = 0; i < 8 && errors.length === 0; i++) {
      p.write('N');
      await sleep(40);
    }
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(DeadlineError);
    expect(errors[0]).toMatchObject({ phase: 'command', message: 'command line deadline passed (0 s)' });
  });

  it('lets a client send whole lines for as long as it likes, each line timed on its own', async () => {
    const { p, commands, errors } = parser();
    for (let i = 0; i < 6; i++) {
      p.write('NO');
      await sleep(60);
      p.write('OP\r\n');
      await sleep(60);
    }
    expect(errors).toEqual([]);
    expect(commands).toHaveLength(6);
    p.end();
  });

  it('fails a DATA phase that does not end within its deadline, and not a quick one', async () => {
    const quick = parser();
    quick.p.write('DATA\r\nSubject: x\r\n\r\nbody\r\n.\r\n');
    await sleep(400);
    expect(quick.errors).toEqual([]);

    const slow = parser();
    slow.p.write('DATA\r\n');
    for (let i = 0; i < 12 && slow.errors.length === 0; i++) {
      slow.p.write('a line of the message\r\n');
      await sleep(50);
    }
    expect(slow.errors[0]).toMatchObject({ phase: 'data' });
  });

  it('does not count against the client the time the server takes', async () => {
    const p = new SMTPStream();
    const commands: string[] = [];
    const errors: Error[] = [];
    // A slow handler: the rest of the open line waits in the parser's queue meanwhile.
    p.oncommand = (command, callback) => {
      commands.push(command.toString());
      setTimeout(() => callback?.(), 400);
    };
    p.on('error', (e) => errors.push(e));
    watchDeadlines(p, { commandMs: 150, dataMs: 300 });
    p.write('NOOP\r\nNO');
    p.write('OP\r\n');
    await sleep(1_000);
    expect(errors).toEqual([]);
    expect(commands).toEqual(['NOOP', 'NOOP']);
  });

  it('stays quiet on a parser the connection has retired (after STARTTLS)', async () => {
    const { p, errors } = parser();
    p.write('NO');
    p.isClosed = true;
    await sleep(250);
    expect(errors).toEqual([]);
  });
});
