/** Faults on the web server: one worker killed (the primary replaces it), or the whole server. */
import { type Fault, FaultError } from './fault.js';
import type { ManagedServer } from './managed-server.js';
import { waitUntil } from '../harness/wait-until.js';
import { childPids, isAlive, isServerWriter, listenerPids, signalAll } from './processes.js';

const REPLACE_TIMEOUT_MS = 15_000;

/** Workers are the processes listening on the port (SO_REUSEPORT), or the launched primary's children but its writer. */
async function workerPids(port: number, server: ManagedServer | undefined): Promise<number[]> {
  return server ? childPids(server.pid).filter((pid) => !isServerWriter(pid)) : listenerPids(port);
}

export function killWorker(port: number, server: ManagedServer | undefined): Fault {
  let turn = 0;
  let killed: { pid: number; workerCount: number } | undefined;
  return {
    name: 'kill-worker',
    async start() {
      const workers = await workerPids(port, server);
      if (workers.length === 0) throw new FaultError(`no server worker listens on port ${port} of this machine`);
      const pid = workers[turn++ % workers.length];
      killed = { pid, workerCount: workers.length };
      signalAll([pid], 'SIGKILL');
      return `SIGKILL worker pid ${pid}`;
    },
    async stop() {
      if (!killed) return 'nothing to replace';
      const { pid, workerCount } = killed;
      killed = undefined;
      let workers: number[] = [];
      const replaced = await waitUntil(async () => {
        workers = await workerPids(port, server);
        return !workers.includes(pid) && workers.length >= workerCount;
      }, REPLACE_TIMEOUT_MS);
      if (!replaced) throw new FaultError(`worker pid ${pid} not replaced after ${REPLACE_TIMEOUT_MS / 1000} s`);
      return `worker pid ${pid} replaced; workers now ${workers.join(', ')}`;
    },
  };
}

export function killServer(server: ManagedServer): Fault {
  return {
    name: 'kill-server',
    async start() {
      const pids = [server.pid, ...childPids(server.pid)];
      signalAll(pids, 'SIGKILL');
      if (!(await waitUntil(() => pids.every((pid) => !isAlive(pid)), REPLACE_TIMEOUT_MS))) {
        throw new FaultError(`server pids ${pids.join(', ')} survived SIGKILL`);
      }
      return `SIGKILL server pid ${pids[0]} and its workers ${pids.slice(1).join(', ')}`;
    },
    async stop() {
      return `server started again as pid ${await server.restart()}`;
    },
  };
}
