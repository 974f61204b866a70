/** Every fault the nemesis knows, what it needs, and how it is bound to a run's target. */
import { readHazelcastConfig } from '../../backends/hazelcast/config.js';
import { readPostgresConfig } from '../../backends/postgresql/config.js';
import type { Env } from '../../backends/env.js';
import type { Fault } from './fault.js';
import type { ManagedServer } from './managed-server.js';
import { latency, partition } from './network-faults.js';
import { killListener, pauseListener } from './process-faults.js';
import { killServer, killWorker } from './server-faults.js';
import type { ServerNetwork } from './server-network.js';

export const FAULT_NAMES = [
  'kill-worker',
  'kill-server',
  'restart-postgresql',
  'pause-postgresql',
  'kill-member',
  'pause-member',
  'partition',
  'latency',
] as const;
export type FaultName = (typeof FAULT_NAMES)[number];

/** Faults that need the server in a network namespace of its own. */
export const NETWORK_FAULTS: readonly FaultName[] = ['partition', 'latency'];
/** Faults that need the tester to start the server (`--server`). */
export const SERVER_FAULTS: readonly FaultName[] = ['kill-server', ...NETWORK_FAULTS];

/** What a run's faults strike. */
export interface NemesisTarget {
  /** The store behind the counter: the web server's STORAGE_METHOD, or the tester's own backend. */
  store: 'shared_memory' | 'disk' | 'postgresql' | 'hazelcast';
  /** Where the store's settings (DB_*, HZ_*) come from. */
  storeEnv: Env;
  /** The web server's port, when the counter is a web server. */
  serverPort?: number;
  server?: ManagedServer;
  network?: ServerNetwork;
}

/** A fault that does not apply to the target: a user mistake, said in one line. */
export class FaultChoiceError extends Error {}

/** The names of a `--nemesis` list, checked; duplicates are kept (the schedule runs them in turn). */
export function parseFaultList(text: string): FaultName[] {
  const names = text.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!(FAULT_NAMES as readonly string[]).includes(name)) {
      const known = FAULT_NAMES.join(', ');
      throw new FaultChoiceError(`--nemesis ${name || '(empty)'} is unknown: use a comma-separated list of ${known}`);
    }
  }
  return names as FaultName[];
}

export function createFault(name: FaultName, target: NemesisTarget): Fault {
  switch (name) {
    case 'kill-worker':
      if (target.serverPort === undefined) {
        throw new FaultChoiceError('kill-worker strikes a web server: use it with tester web');
      }
      return killWorker(target.serverPort, target.server);
    case 'kill-server':
      return killServer(need(target.server, name, 'add --server "STORAGE_METHOD=..." so the tester starts the server'));
    case 'restart-postgresql':
      return killListener(name, 'postmaster', [postgresPort(name, target)], 'SIGQUIT');
    case 'pause-postgresql':
      return pauseListener(name, 'postmaster', [postgresPort(name, target)]);
    case 'kill-member':
      return killListener(name, 'Hazelcast member', memberPorts(name, target), 'SIGKILL');
    case 'pause-member':
      return pauseListener(name, 'Hazelcast member', memberPorts(name, target));
    case 'partition':
      return partition(need(target.network, name, 'it needs the server started by the tester (--server)'));
    case 'latency':
      return latency(need(target.network, name, 'it needs the server started by the tester (--server)'));
  }
}

function need<T>(value: T | undefined, name: FaultName, why: string): T {
  if (value === undefined) throw new FaultChoiceError(`--nemesis ${name}: ${why}`);
  return value;
}

const LOCAL_HOSTS = /^(localhost|127\.\d+\.\d+\.\d+|::1)$/;

function postgresPort(name: FaultName, target: NemesisTarget): number {
  if (target.store !== 'postgresql') {
    throw new FaultChoiceError(`--nemesis ${name} needs a PostgreSQL store, not ${target.store}`);
  }
  const { host, port } = readPostgresConfig(target.storeEnv);
  if (!LOCAL_HOSTS.test(host)) {
    throw new FaultChoiceError(`--nemesis ${name} needs PostgreSQL on this machine, not DB_HOST=${host}`);
  }
  return port;
}

/** The ports of the members on this machine, last first: a member other than the first contact goes down first. */
function memberPorts(name: FaultName, target: NemesisTarget): number[] {
  if (target.store !== 'hazelcast') {
    throw new FaultChoiceError(`--nemesis ${name} needs a Hazelcast store, not ${target.store}`);
  }
  const local = readHazelcastConfig(target.storeEnv)
    .members.map((member) => /^(.*):(\d+)$/.exec(member))
    .filter((match): match is RegExpExecArray => match !== null && LOCAL_HOSTS.test(match[1]))
    .map((match) => Number(match[2]));
  if (local.length === 0) {
    throw new FaultChoiceError(`--nemesis ${name} needs Hazelcast members on this machine (HZ_CLUSTER_MEMBERS)`);
  }
  return local.reverse();
}
