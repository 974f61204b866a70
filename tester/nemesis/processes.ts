/**
 * The processes a fault strikes, found on this machine by the port they listen on, and the
 * means to stop, pause and bring them back as they were.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { commandOutput } from '../harness/run-command.js';

/** How long a system tool (ss, ip, tc) may take: far more than any needs. */
export const TOOL_TIMEOUT = { timeoutMs: 15_000 };

/** Pids of the processes listening on TCP `port` (any address), from `ss`; none when nothing listens. */
export async function listenerPids(port: number): Promise<number[]> {
  const out = await commandOutput('ss', ['-ltnpH', `sport = :${port}`], TOOL_TIMEOUT);
  if (out.trim() && !out.includes('pid=')) {
    throw new Error(`port ${port} is listened on by another user's process: run the tester as root`);
  }
  return [...new Set([...out.matchAll(/pid=(\d+)/g)].map((match) => Number(match[1])))].sort((a, b) => a - b);
}

/** Direct children of `pid`, from /proc. */
export function childPids(pid: number): number[] {
  const children: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    // Undefined when gone meanwhile.
    const fields = statFields(Number(entry));
    if (fields && Number(fields[1]) === pid) children.push(Number(entry));
  }
  return children.sort((a, b) => a - b);
}

/**
 * Whether `pid` is a server's writer process (server/writer-main.ts), the one child of a primary
 * that is not a worker: it serves no HTTP, so killing it is not killing a worker.
 */
export function isServerWriter(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('writer-main.js');
  } catch {
    return false;
  }
}

/**
 * The fields of /proc/PID/stat after the command name (field 2, which may hold spaces and
 * parentheses): [0] is the state (field 3), [1] the parent pid, [19] the start time (field 22).
 */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Whether `pid` runs; a zombie (killed, not yet reaped by its parent) does not. */
export function isAlive(pid: number): boolean {
  const fields = statFields(pid);
  return fields !== undefined && fields[0] !== 'Z';
}

/** One process, told apart from a later one given the same pid by its start time (clock ticks since boot). */
export interface ProcessId {
  pid: number;
  startTicks: number;
}

/** `pid` with its start time; undefined when it does not run. */
export function processId(pid: number): ProcessId | undefined {
  const fields = statFields(pid);
  return fields && fields[0] !== 'Z' ? { pid, startTicks: Number(fields[19]) } : undefined;
}

/** Whether the process `id` names still runs (not another one that got its pid since). */
export function isRunning(id: ProcessId): boolean {
  return processId(id.pid)?.startTicks === id.startTicks;
}

/** Sends `signal` to every pid, ignoring those already gone. */
export function signalAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Everything needed to start a process again as it was started. */
export interface ProcessImage {
  executable: string;
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  uid: number;
  gid: number;
  /** The files its stdout and stderr were written to (log files), when they were files. */
  outputFiles: Array<string | undefined>;
}

export function processImage(pid: number): ProcessImage {
  const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
  const env = Object.fromEntries(
    fs
      .readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .filter((pair) => pair.includes('='))
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const id = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)![1]);
  const outputFiles = [1, 2].map((fd) => {
    const target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
    return target.startsWith('/') && !target.startsWith('/dev/') && fs.statSync(target).isFile() ? target : undefined;
  });
  return {
    executable: fs.readlinkSync(`/proc/${pid}/exe`),
    argv,
    cwd: fs.readlinkSync(`/proc/${pid}/cwd`),
    env,
    uid: id('Uid'),
    gid: id('Gid'),
    outputFiles,
  };
}

/**
 * Starts `image` again, detached: it outlives the tester like the original did, and logs where
 * it did. Resolves with its pid once it runs.
 */
export function respawn(image: ProcessImage): Promise<number> {
  const output = image.outputFiles.map((file) => (file ? fs.openSync(file, 'a') : 'ignore'));
  const child = spawn(image.executable, image.argv.slice(1), {
    argv0: image.argv[0],
    cwd: image.cwd,
    env: image.env,
    uid: image.uid,
    gid: image.gid,
    detached: true,
    stdio: ['ignore', ...output],
  });
  for (const fd of output) if (typeof fd === 'number') fs.closeSync(fd);
  child.unref();
  return new Promise((resolve, reject) => {
    child.once('spawn', () => resolve(child.pid!));
    child.once('error', (err) => {
      reject(new Error(`cannot start ${image.argv[0]} again: ${err.message}`, { cause: err }));
    });
  });
}
