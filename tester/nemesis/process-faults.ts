/**
 * Faults on a store process found by the port it listens on: a PostgreSQL postmaster with its
 * backends, or one Hazelcast member. Killed processes are started again as they were started.
 */
import { waitUntil } from '../harness/wait-until.js';
import { type Fault, FaultError } from './fault.js';
import {
  childPids,
  isAlive,
  listenerPids,
  processImage,
  type ProcessImage,
  respawn,
  signalAll,
} from './processes.js';

const GONE_TIMEOUT_MS = 30_000;
const LISTEN_TIMEOUT_MS = 90_000;

/** The process listening on `port`, or a FaultError naming the port. */
async function listenerPid(port: number, what: string): Promise<number> {
  const [pid] = await listenerPids(port);
  if (pid === undefined) throw new FaultError(`no ${what} listens on port ${port} of this machine`);
  return pid;
}

/** Kills the listener of one of `ports` (in turn), then starts it again as it was. */
export function killListener(name: string, what: string, ports: readonly number[], signal: NodeJS.Signals): Fault {
  let turn = 0;
  let killed: { port: number; pid: number; image: ProcessImage } | undefined;
  return {
    name,
    async start() {
      const port = ports[turn++ % ports.length];
      const pid = await listenerPid(port, what);
      // Read before the kill: what cannot be read (another user's process) is not killed.
      killed = { port, pid, image: processImage(pid) };
      signalAll([pid], signal);
      const gone = await waitUntil(() => !isAlive(pid), GONE_TIMEOUT_MS);
      if (!gone) throw new FaultError(`${what} pid ${pid} survived ${signal}`);
      return `${signal} ${what} pid ${pid} (port ${port})`;
    },
    async stop() {
      if (!killed) return 'nothing to restart';
      const { port, pid, image } = killed;
      killed = undefined;
      const newPid = await respawn(image);
      const back = await waitUntil(async () => (await listenerPids(port)).length > 0, LISTEN_TIMEOUT_MS, 200);
      if (!back) {
        const waited = `${LISTEN_TIMEOUT_MS / 1000} s`;
        throw new FaultError(`${what} restarted as pid ${newPid} is not listening on port ${port} after ${waited}`);
      }
      return `${what} pid ${pid} restarted as pid ${newPid} (port ${port})`;
    },
  };
}

/** SIGSTOPs the listener of one of `ports` (in turn) with its children, then SIGCONTs them. */
export function pauseListener(name: string, what: string, ports: readonly number[]): Fault {
  let turn = 0;
  let paused: number[] = [];
  return {
    name,
    async start() {
      const port = ports[turn++ % ports.length];
      const pid = await listenerPid(port, what);
      paused = [pid, ...childPids(pid)];
      signalAll(paused, 'SIGSTOP');
      const children = paused.length - 1;
      return `SIGSTOP ${what} pid ${pid} (port ${port})${children > 0 ? ` and its ${children} children` : ''}`;
    },
    async stop() {
      // Children forked while paused are already stopped with their parent, or were never forked.
      const pids = paused;
      paused = [];
      signalAll(pids, 'SIGCONT');
      return pids.length > 0 ? `SIGCONT pids ${pids.join(', ')}` : 'nothing to resume';
    },
  };
}
