import { type LaunchedServer, type LaunchOptions, launchServer } from '../harness/server-launcher.js';
import { waitUntil } from '../harness/wait-until.js';
import { type Leftover, recordLeftover } from './leftovers.js';
import { childPids, isRunning, processId, signalAll } from './processes.js';

const STOP_TIMEOUT_MS = 15_000;

/**
 * The web server the tester started (`--server`): it can be killed and started again on its
 * port. It is recorded as a leftover while it runs: a tester killed meanwhile leaves it to the
 * next one to stop, as nothing else would.
 */
export class ManagedServer {
  #current: LaunchedServer;
  #strikeOut: () => void;

  private constructor(
    private readonly options: LaunchOptions,
    launched: RecordedServer,
  ) {
    this.#current = launched.server;
    this.#strikeOut = launched.strikeOut;
  }

  static async start(options: LaunchOptions): Promise<ManagedServer> {
    return new ManagedServer(options, await launchRecorded(options));
  }

  /** The primary's pid (its workers are its children). */
  get pid(): number {
    return this.#current.pid;
  }

  /** Starts it again with the same settings, once the previous one is gone; resolves with the new pid. */
  async restart(): Promise<number> {
    await this.stop();
    const launched = await launchRecorded(this.options);
    this.#current = launched.server;
    this.#strikeOut = launched.strikeOut;
    return this.#current.pid;
  }

  async stop(): Promise<void> {
    await this.#current.stop();
    this.#strikeOut();
  }
}

interface RecordedServer {
  server: LaunchedServer;
  strikeOut: () => void;
}

/** Launches the server, recorded from the moment it runs (it may take seconds to listen). */
async function launchRecorded(options: LaunchOptions): Promise<RecordedServer> {
  let strikeOut = () => {};
  const onSpawn = (pid: number) => {
    const id = processId(pid);
    if (id) strikeOut = recordLeftover({ kind: 'server', process: id });
  };
  try {
    const server = await launchServer({ ...options, onSpawn });
    return { server, strikeOut };
  } catch (err) {
    // The launcher has stopped the server that did not start.
    strikeOut();
    throw err;
  }
}

/** Stops a server a dead tester started: SIGTERM (the primary stops its workers), SIGKILL to all when it hangs. */
export async function stopLeftServer({ process: primary }: Extract<Leftover, { kind: 'server' }>): Promise<string> {
  if (!isRunning(primary)) return `server pid ${primary.pid} already gone`;
  const workers = childPids(primary.pid);
  signalAll([primary.pid], 'SIGTERM');
  if (await waitUntil(() => !isRunning(primary), STOP_TIMEOUT_MS)) return `server pid ${primary.pid} stopped`;
  signalAll([primary.pid, ...workers], 'SIGKILL');
  return `server pid ${primary.pid} and its workers killed: SIGTERM did not stop them in ${STOP_TIMEOUT_MS / 1000} s`;
}
