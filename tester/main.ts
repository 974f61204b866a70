#!/usr/bin/env node
import { Builtins, Cli, type Command, UsageError } from 'clipanion';
import { ConfigError } from '../backends/env.js';
import { ConnectError } from './load/run-load.js';
import { CheckCommand } from './commands/check-command.js';
import { CompareCommand } from './commands/compare-command.js';
import { EXIT } from './options/exit-codes.js';
import { HazelcastCommand } from './commands/hazelcast-command.js';
import { HealCommand } from './commands/heal-command.js';
import { MergeCommand } from './commands/merge-command.js';
import { PostgresqlCommand } from './commands/postgresql-command.js';
import { CounterTypeCommand } from './commands/counter-type-command.js';
import { WebCommand } from './commands/web-command.js';
import { normalizeArgs, unknownCommand } from './command-line.js';
import { firstLine } from '../backends/first-line.js';

const COMMANDS = [WebCommand, PostgresqlCommand, HazelcastCommand, CompareCommand, CheckCommand, MergeCommand, HealCommand];
/** Colour only for a person at a terminal, and never when NO_COLOR is set (no-color.org). */
const colored = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
const context = { ...Cli.defaultContext, colorDepth: colored ? process.stdout.getColorDepth() : 1 };

const cli = new Cli({
  binaryLabel: 'counters tester',
  binaryName: 'npx tester',
  binaryVersion: '0.1.0',
  enableColors: colored,
});
for (const command of [...COMMANDS, CounterTypeCommand]) cli.register(command);
cli.register(Builtins.HelpCommand);
cli.register(Builtins.VersionCommand);

const fail = (code: number, message: string): number => {
  process.stderr.write(`tester: ${message}\n`);
  return code;
};

/** Expected failures are one line and an exit code; only real bugs show a stack. */
async function main(rawArgs: string[]): Promise<number> {
  const args = normalizeArgs(rawArgs);
  const unknown = unknownCommand(args, COMMANDS.map((command) => command.paths[0][0]));
  if (unknown) return fail(EXIT.usage, unknown);
  let command: Command;
  try {
    command = cli.process(args, context);
  } catch (err) {
    const message = firstLine(err)
      .replace(/^Unknown Syntax Error: /, '')
      .replace(/^Invalid value for (-[\w-]+): (must be)/, '$1 $2');
    return fail(EXIT.usage, `${message} (see npx tester --help)`);
  }
  // Help and version need the CLI wired into the command: clipanion's own run does that.
  if (command.help || args.some((arg) => ['-h', '--help', '-v', '--version'].includes(arg))) {
    return cli.run(args, context);
  }
  try {
    return await command.validateAndExecute();
  } catch (err) {
    if (err instanceof UsageError) return fail(EXIT.usage, `${err.message.split('\n')[0]} (see npx tester --help)`);
    if (err instanceof ConnectError || err instanceof ConfigError) return fail(EXIT.connect, err.message);
    throw err;
  }
}

// A reader that stops early (`tester check FILE | head`) closes the pipe: what is left to print has
// nowhere to go, and the exit code (the verdict) still stands, without a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
});
process.exitCode = await main(process.argv.slice(2));
