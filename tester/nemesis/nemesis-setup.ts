/**
 * Everything a run with `--nemesis` or `--server` needs before its first call: the server's
 * namespace and store relay (network faults), the server itself, and the faults bound to them;
 * and the cleanup that undoes it all on every path, Ctrl-C included.
 */
import type { Env } from '../../backends/env.js';
import { readPostgresConfig } from '../../backends/postgresql/config.js';
import type { NemesisEvent } from '../history/nemesis-event.js';
import { freePort } from '../harness/free-port.js';
import {
  createFault,
  FaultChoiceError,
  type FaultName,
  NETWORK_FAULTS,
  type NemesisTarget,
  SERVER_FAULTS,
} from './catalogue.js';
import { ManagedServer } from './managed-server.js';
import { Nemesis } from './nemesis.js';
import { commandOutput } from '../harness/run-command.js';
import { TOOL_TIMEOUT } from './processes.js';
import { ServerNetwork } from './server-network.js';

export interface NemesisSetupOptions {
  counterType: 'web' | 'postgresql' | 'hazelcast';
  faultNames: readonly FaultName[];
  intervalMs: number;
  /** `--server`'s settings: the tester starts the web server with them. */
  serverEnv?: Record<string, string>;
  /** The web server's port when it runs on its own (kill-worker finds its workers by it). */
  serverPort?: number;
  onEvent?: (event: NemesisEvent) => void;
}

export interface PreparedRun {
  /** Where the clients call, when the tester started the server. */
  serverTarget?: { host: string; port: number };
  /** Undefined when no fault was asked for. */
  nemesis?: Nemesis;
  /** Heals the fault in force, stops the server, removes the namespace; safe to call twice. */
  cleanup(): Promise<void>;
}

const DEFAULT_SERVER_WORKERS = 2;
/** Inside its own namespace the server has every port to itself. */
const NAMESPACED_SERVER_PORT = 8080;

export async function prepareRun(options: NemesisSetupOptions): Promise<PreparedRun> {
  if (!options.serverEnv && options.faultNames.length === 0) return { cleanup: async () => {} };
  const storeEnv: Env = { ...process.env, ...options.serverEnv };
  const store = storeOf(options.counterType, storeEnv);
  const wantsNetwork = options.faultNames.some((name) => NETWORK_FAULTS.includes(name));
  checkChoices(options, store, wantsNetwork);
  if (wantsNetwork) await checkNetworkTools();

  let network: ServerNetwork | undefined;
  let server: ManagedServer | undefined;
  let nemesis: Nemesis | undefined;
  const removeNetwork = () => network?.destroySync();
  const cleanup = async () => {
    await nemesis?.stop();
    await server?.stop();
    removeNetwork();
    process.off('exit', removeNetwork);
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  };
  const interrupted = (signal: NodeJS.Signals) => {
    process.stderr.write(`tester: ${signal}: healing the fault in force and cleaning up\n`);
    void cleanup().finally(() => process.exit(128 + (signal === 'SIGINT' ? 2 : 15)));
  };
  process.once('exit', removeNetwork);
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    let serverTarget: { host: string; port: number } | undefined;
    if (options.serverEnv) {
      const serverEnv = { ...options.serverEnv };
      let host = '127.0.0.1';
      if (wantsNetwork) {
        network = await ServerNetwork.create();
        const { host: dbHost, port: dbPort } = readPostgresConfig(storeEnv);
        const relayed = await network.relayStore({ host: dbHost, port: dbPort });
        Object.assign(serverEnv, { DB_HOST: relayed.host, DB_PORT: String(relayed.port) });
        host = network.clients.inside;
      }
      const port = network ? NAMESPACED_SERVER_PORT : await freePort(host);
      const workers = Number(serverEnv.WORKERS ?? DEFAULT_SERVER_WORKERS);
      server = await ManagedServer.start({ host, port, workers, env: serverEnv, prefix: network?.prefix });
      serverTarget = { host, port };
    }
    if (options.faultNames.length > 0) {
      const serverPort = serverTarget?.port ?? options.serverPort;
      const target: NemesisTarget = { store, storeEnv, serverPort, server, network };
      const faults = options.faultNames.map((name) => createFault(name, target));
      nemesis = new Nemesis(faults, options.intervalMs, options.onEvent);
    }
    return { serverTarget, nemesis, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

function storeOf(counterType: NemesisSetupOptions['counterType'], env: Env): NemesisTarget['store'] {
  if (counterType !== 'web') return counterType;
  const method = env.STORAGE_METHOD || (env.STORAGE_PATH ? 'disk' : 'shared_memory');
  return method as NemesisTarget['store'];
}

function checkChoices(options: NemesisSetupOptions, store: NemesisTarget['store'], wantsNetwork: boolean): void {
  if (options.serverEnv && options.counterType !== 'web') {
    throw new FaultChoiceError('--server starts a web server: use it with tester web');
  }
  for (const name of options.faultNames) {
    if (SERVER_FAULTS.includes(name) && !options.serverEnv) {
      const fix = 'add --server "STORAGE_METHOD=..."';
      throw new FaultChoiceError(`--nemesis ${name} needs the tester to start the server: ${fix}`);
    }
  }
  if (wantsNetwork && store !== 'postgresql') {
    const fix = 'add STORAGE_METHOD=postgresql to --server';
    throw new FaultChoiceError(`--nemesis partition and latency strike the link to a PostgreSQL store: ${fix}`);
  }
}

/** Network faults need root and iproute2; without them the run stops before it starts. */
async function checkNetworkTools(): Promise<void> {
  const missing =
    'partition and latency need root and iproute2 (ip, tc): run the tester as root with iproute2, or leave them out';
  if (process.getuid?.() !== 0) throw new FaultChoiceError(missing);
  try {
    await commandOutput('ip', ['-V'], TOOL_TIMEOUT);
    await commandOutput('tc', ['-V'], TOOL_TIMEOUT);
  } catch {
    throw new FaultChoiceError(missing);
  }
}
