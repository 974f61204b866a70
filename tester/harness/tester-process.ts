import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The compiled tester of this build (dist/tester/main.js). */
export const TESTER_MAIN = fileURLToPath(new URL('../main.js', import.meta.url));

export interface TesterRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall-clock milliseconds the run took. */
  elapsedMs: number;
}

export interface TesterRunOptions {
  /** Another build's tester (the bench's snapshot); this build's by default. */
  main?: string;
  cwd?: string;
  env?: Record<string, string>;
  /** Killed (SIGKILL) after this long; the run then ends with signal SIGKILL. */
  timeoutMs?: number;
  /** A command the tester runs under, e.g. ["ip", "netns", "exec", "ns1"] (it must exec the tester). */
  prefix?: string[];
}

/**
 * Runs `node dist/tester/main.js ...args` in its own process to its end, stdout not a TTY (no
 * progress bar). Resolves whatever the exit: the caller judges the code.
 */
export function runTesterProcess(args: string[], options: TesterRunOptions = {}): Promise<TesterRun> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const [command, ...commandArgs] = [...(options.prefix ?? []), process.execPath, options.main ?? TESTER_MAIN, ...args];
    const child = spawn(command, commandArgs, {
      cwd: options.cwd,
      // COUNTER_HOST/COUNTER_PORT from the caller's shell must not change the target.
      env: { ...process.env, COUNTER_HOST: '', COUNTER_PORT: '', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    // 'close', not 'exit': only then have stdout and stderr been read to their end.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, elapsedMs: Date.now() - started });
    });
  });
}

/** What --json printed: stdout's one non-empty line, parsed. Throws, with the run's output, otherwise. */
export function parseJsonOutput<T = Record<string, any>>(run: TesterRun): T {
  const lines = run.stdout.split('\n').filter((line) => line.trim());
  if (lines.length !== 1) {
    throw new Error(`expected one JSON line on stdout, got ${lines.length}:\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
  return JSON.parse(lines[0]) as T;
}
