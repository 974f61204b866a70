#!/usr/bin/env node
import { Builtins, Cli, type Command, UsageError } from 'clipanion';
import { ConfigError } from '../backends/env.js';
import { ConnectError } from './load/run-load.js';
import { CompareCommand } from './commands/compare-command.js';
import { EXIT } from './commands/load-command.js';
import { HazelcastCommand } from './commands/hazelcast-command.js';
import { PostgresqlCommand } from './commands/postgresql-command.js';
import { ReferenceCommand } from './commands/reference-command.js';
import { WebCommand } from './commands/web-command.js';

const cli = new Cli({ binaryLabel: 'counters tester', binaryName: 'tester', binaryVersion: '0.1.0' });
for (const command of [WebCommand, PostgresqlCommand, HazelcastCommand, CompareCommand, ReferenceCommand]) cli.register(command);
cli.register(Builtins.HelpCommand);
cli.register(Builtins.VersionCommand);

const fail = (code: number, message: string): number => {
  process.stderr.write(`tester: ${message}\n`);
  return code;
};

/** Expected failures are one line and an exit code; only real bugs show a stack. */
async function main(args: string[]): Promise<number> {
  let command: Command;
  try {
    command = cli.process(args, Cli.defaultContext);
  } catch (err) {
    const firstLine = (err as Error).message.split('\n').find((line) => line.trim()) ?? String(err);
    return fail(EXIT.usage, `${firstLine.replace(/^Unknown Syntax Error: /, '')} (see tester --help)`);
  }
  // Help and version need the CLI wired into the command: clipanion's own run does that.
  if (command.help || args.some((arg) => ['-h', '--help', '-v', '--version'].includes(arg))) {
    return cli.run(args, Cli.defaultContext);
  }
  try {
    return await command.validateAndExecute();
  } catch (err) {
    if (err instanceof UsageError) return fail(EXIT.usage, `${err.message.split('\n')[0]} (see tester --help)`);
    if (err instanceof ConnectError || err instanceof ConfigError) return fail(EXIT.connect, err.message);
    throw err;
  }
}

process.exitCode = await main(process.argv.slice(2));
