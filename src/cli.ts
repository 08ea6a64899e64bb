/**
 * `mssgw`: the operator's command line. Exit codes (the contract): 0 success, 2 usage or
 * validation error (stderr says what and why), 1 any other failure.
 */
import { ConfigError } from './config.js';
import { ValidationError } from './errors.js';
import { authCommands } from './cli/auth.js';
import { certCommands } from './cli/certs.js';
import { invoke, processIo, type CliIo, type Command } from './cli/command.js';
import { directoryCommands } from './cli/directory.js';
import { domainCommands } from './cli/domains.js';
import { mailboxCommands } from './cli/mailbox.js';
import { recordCommands } from './cli/record.js';
import { conversationCommands } from './cli/conversation.js';
import { purgeCommands } from './cli/purge.js';
import { serveCommand } from './cli/serve.js';

const COMMANDS: Command[] = [serveCommand, ...mailboxCommands, ...domainCommands, ...directoryCommands, ...certCommands, ...recordCommands, ...conversationCommands, ...purgeCommands, ...authCommands];

function help(): string {
  const lines = COMMANDS.map((c) => `  ${c.usage}\n      ${c.summary}`);
  return `usage: mssgw <command> [options]   (every command takes --data DIR and --config FILE)\n\n${lines.join('\n')}\n`;
}

function find(argv: string[]): { command: Command; rest: string[] } | undefined {
  // Longest name first: "mailbox add-patient" before a hypothetical "mailbox".
  for (const words of [2, 1]) {
    const name = argv.slice(0, words).join(' ');
    const command = COMMANDS.find((c) => c.name === name);
    if (command) return { command, rest: argv.slice(words) };
  }
  return undefined;
}

/** Runs one command; `io` is where it writes and the environment it reads (the process's by default). */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === 'help' || argv[0] === '-h') {
    io.stdout.write(help());
    return argv.length === 0 ? 2 : 0;
  }
  const found = find(argv);
  if (!found) {
    io.stderr.write(`mssgw: unknown command "${argv.slice(0, 2).join(' ')}"\n\n${help()}`);
    return 2;
  }
  let inv;
  try {
    inv = invoke(found.command, found.rest, io);
    return (await found.command.run(inv)) ?? 0;
  } catch (err) {
    if (err instanceof ValidationError || err instanceof ConfigError) {
      io.stderr.write(`mssgw ${found.command.name}: ${err.message}\n`);
      return 2;
    }
    io.stderr.write(`mssgw ${found.command.name}: ${(err as Error).stack ?? err}\n`);
    return 1;
  } finally {
    await inv?.close();
  }
}
