/** Runs a command on a pseudo-terminal, as a user's shell runs it, through util-linux's script(1). */
import { spawn } from 'node:child_process';
import { ROOT } from './server-process.js';

export interface TerminalRun {
  code: number | null;
  /** Everything the command wrote to the terminal (escape sequences and \r included). */
  terminal: string;
}

/** Single-quotes a word for sh. */
const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/**
 * Runs `command args` with its stdin and stderr on a pseudo-terminal; stdout goes to `stdoutFile`
 * when given (so the terminal holds stderr alone), else to the terminal too. script's -e returns
 * the command's exit code, -f flushes as the command writes, -q leaves out script's own lines.
 */
export function runOnTerminal(
  command: string,
  args: string[],
  options: { stdoutFile?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<TerminalRun> {
  const redirect = options.stdoutFile ? ` >${quote(options.stdoutFile)}` : '';
  const line = `exec ${[command, ...args].map(quote).join(' ')}${redirect}`;
  const child = spawn('script', ['-qefc', line, '/dev/null'], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let terminal = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (terminal += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (terminal += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, terminal });
    });
  });
}
