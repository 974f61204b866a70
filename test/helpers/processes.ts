/** Processes the tests start or inspect: run a command, the server's workers, RSS, open fds, hard kills. */
import fs from 'node:fs';
import { ROOT } from './server-process.js';
import { runCommand } from '../../tester/harness/run-command.js';
import { waitUntil as waitFor } from '../../tester/harness/wait-until.js';
import { isServerWriter } from '../../tester/nemesis/processes.js';

/** Runs a command to its end from the repository's root (bounded); never rejects. */
export function run(command: string, args: string[], timeoutMs = 60_000, env: NodeJS.ProcessEnv = process.env) {
  return runCommand(command, args, { timeoutMs, env, cwd: ROOT });
}

/** Direct children of `pid` (for a primary: its workers, and its writer with a remote store and WORKERS > 1). */
export async function childPids(pid: number): Promise<number[]> {
  const { stdout } = await run('pgrep', ['-P', String(pid)], 5000);
  return stdout
    .split('\n')
    .map((line) => Number(line.trim()))
    .filter((n) => Number.isInteger(n) && n > 0)
    .sort((a, b) => a - b);
}

/** A primary's workers: its children but the writer. */
export async function workerPids(primary: number): Promise<number[]> {
  return (await childPids(primary)).filter((pid) => !isServerWriter(pid));
}

/** A primary's writer process. */
export async function writerPid(primary: number): Promise<number> {
  const writers = (await childPids(primary)).filter(isServerWriter);
  if (writers.length !== 1) throw new Error(`expected one writer process under ${primary}, found ${writers.length}`);
  return writers[0];
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resident set size of a process in MB, or undefined when it is gone. */
export function rssMb(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Open file descriptors of a process (sockets included), or undefined when it is gone. */
export function openFdCount(pid: number): number | undefined {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return undefined;
  }
}

/** SIGKILLs every pid in one go (ignoring the dead), then waits up to 5 s for them to be gone. */
export async function killHard(pids: number[]): Promise<boolean> {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return waitFor(() => pids.every((pid) => !isAlive(pid)), 5000, 20);
}
