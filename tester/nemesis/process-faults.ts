/**
 * Faults on a store process found by the port it listens on: a PostgreSQL postmaster with its
 * backends, or one Hazelcast member. Killed processes are started again as they were started.
 * Each fault is recorded (leftovers.ts) before it is done, so a tester killed meanwhile leaves
 * the next one what it needs to undo it: `resume` and `bringBack` serve both.
 */
import { waitUntil } from '../harness/wait-until.js';
import { type Fault, FaultError } from './fault.js';
import { type Leftover, recordLeftover } from './leftovers.js';
import {
  childPids,
  isRunning,
  listenerPids,
  processId,
  processImage,
  type ProcessId,
  respawn,
  signalAll,
} from './processes.js';

const GONE_TIMEOUT_MS = 30_000;
const LISTEN_TIMEOUT_MS = 90_000;

type Paused = Extract<Leftover, { kind: 'paused' }>;
type Killed = Extract<Leftover, { kind: 'killed' }>;

/** The process listening on `port`, or a FaultError naming the port. */
async function listenerId(port: number, what: string): Promise<ProcessId> {
  const [pid] = await listenerPids(port);
  const id = pid === undefined ? undefined : processId(pid);
  if (id === undefined) throw new FaultError(`no ${what} listens on port ${port} of this machine`);
  return id;
}

/** Kills the listener of one of `ports` (in turn), then starts it again as it was. */
export function killListener(name: string, what: string, ports: readonly number[], signal: NodeJS.Signals): Fault {
  let turn = 0;
  let killed: { leftover: Killed; strikeOut: () => void } | undefined;
  return {
    name,
    async start() {
      const port = ports[turn++ % ports.length];
      const listener = await listenerId(port, what);
      // Read before the kill: what cannot be read (another user's process) is not killed.
      const image = processImage(listener.pid);
      const leftover: Killed = { kind: 'killed', what, port, process: listener, image };
      killed = { leftover, strikeOut: recordLeftover(leftover) };
      signalAll([listener.pid], signal);
      const gone = await waitUntil(() => !isRunning(listener), GONE_TIMEOUT_MS);
      if (!gone) throw new FaultError(`${what} pid ${listener.pid} survived ${signal}`);
      return `${signal} ${what} pid ${listener.pid} (port ${port})`;
    },
    async stop() {
      if (!killed) return 'nothing to restart';
      const { leftover, strikeOut } = killed;
      killed = undefined;
      // Struck out only once back: a tester that could not start it leaves it to the next one.
      const done = await bringBack(leftover);
      strikeOut();
      return done;
    },
  };
}

/**
 * Starts a killed process again as it was, unless its port is listened on already (it was
 * never killed, or someone started it); resolves once it listens, with what was done.
 */
export async function bringBack({ what, port, process: killed, image }: Killed): Promise<string> {
  const listening = async () => (await listenerPids(port)).length > 0;
  if (await listening()) return `${what} listens on port ${port} again`;
  if (!(await waitUntil(() => !isRunning(killed), GONE_TIMEOUT_MS))) {
    throw new FaultError(`${what} pid ${killed.pid} neither listens on port ${port} nor exits`);
  }
  const newPid = await respawn(image);
  if (!(await waitUntil(listening, LISTEN_TIMEOUT_MS, 200))) {
    const waited = `${LISTEN_TIMEOUT_MS / 1000} s`;
    throw new FaultError(`${what} restarted as pid ${newPid} is not listening on port ${port} after ${waited}`);
  }
  return `${what} pid ${killed.pid} restarted as pid ${newPid} (port ${port})`;
}

/** SIGSTOPs the listener of one of `ports` (in turn) with its children, then SIGCONTs them. */
export function pauseListener(name: string, what: string, ports: readonly number[]): Fault {
  let turn = 0;
  let paused: { leftover: Paused; strikeOut: () => void } | undefined;
  return {
    name,
    async start() {
      const port = ports[turn++ % ports.length];
      const listener = await listenerId(port, what);
      const children = childPids(listener.pid)
        .map(processId)
        .filter((id): id is ProcessId => id !== undefined);
      const leftover: Paused = { kind: 'paused', what, port, processes: [listener, ...children] };
      paused = { leftover, strikeOut: recordLeftover(leftover) };
      signalAll(
        leftover.processes.map(({ pid }) => pid),
        'SIGSTOP',
      );
      const of = children.length > 0 ? ` and its ${children.length} children` : '';
      return `SIGSTOP ${what} pid ${listener.pid} (port ${port})${of}`;
    },
    async stop() {
      if (!paused) return 'nothing to resume';
      const { leftover, strikeOut } = paused;
      paused = undefined;
      const done = resume(leftover);
      strikeOut();
      return done;
    },
  };
}

/** SIGCONTs the paused processes that still run; says which. */
export function resume({ what, port, processes }: Paused): string {
  // Children forked while paused are already stopped with their parent, or were never forked.
  const pids = processes.filter(isRunning).map(({ pid }) => pid);
  signalAll(pids, 'SIGCONT');
  if (pids.length === 0) return `${what} pids gone: nothing to resume`;
  return `SIGCONT ${what} pids ${pids.join(', ')} (port ${port})`;
}
