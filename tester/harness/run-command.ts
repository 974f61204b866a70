/**
 * Running another program to its end, for the tester, bench and tests alike: bounded in time
 * (SIGKILL at the deadline, since a program that ignores SIGTERM would hold the caller forever)
 * and in output (64 MiB, beyond any tool's report).
 */
import { execFile } from 'node:child_process';

export interface CommandOptions {
  /** Killed with SIGKILL after this long. */
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface CommandResult {
  /** The exit code; null when killed by a signal (the deadline's included). */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Why it could not run or was stopped (spawn ENOENT, the deadline), when so. */
  failure?: string;
}

/** Runs a command to its end; never rejects: the result says how it ended. */
export function runCommand(command: string, args: readonly string[], options: CommandOptions): Promise<CommandResult> {
  return new Promise((resolve) => {
    const { timeoutMs, env = process.env, cwd } = options;
    execFile(command, args, { timeout: timeoutMs, killSignal: 'SIGKILL', env, cwd, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      const result = { code, stdout: String(stdout), stderr: String(stderr) };
      if (!err || code !== null) return resolve(result);
      const failure = err.killed ? `killed at its ${timeoutMs} ms deadline` : err.message.split('\n')[0];
      resolve({ ...result, failure });
    });
  });
}

/** A command that failed: its command line and what it said, with its output kept for a closer look. */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly result: CommandResult,
  ) {
    super(message);
  }
}

/** Runs a command that must succeed; resolves with its stdout, or rejects naming it and its stderr's first line. */
export async function commandOutput(command: string, args: readonly string[], options: CommandOptions): Promise<string> {
  const result = await runCommand(command, args, options);
  if (result.code === 0) return result.stdout;
  const said = result.stderr.trim().split('\n')[0] || result.failure || `exit ${result.code}`;
  throw new CommandError(`${command} ${args.join(' ')}: ${said}`, result);
}
