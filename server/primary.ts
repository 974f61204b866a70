import cluster, { type Worker } from 'node:cluster';
import net from 'node:net';
import { ConfigError } from '../backends/env.js';
import type { ServerConfig } from './config.js';
import { openHttp10Front } from './http10-front.js';
import type { WorkerMessage } from './messages.js';
import { prepareStorage, writerPlace } from './stores/open-store.js';
import { loadUws } from './uws.js';
import { relayStderr } from './child-stderr.js';
import { WriterProcess, WriterStartError } from './writer-process.js';

/** More unexpected worker deaths than this within the window means restarting will not help. */
const CRASH_LIMIT = 5;
const CRASH_WINDOW_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

const log = (line: string) => console.error(`web-counter: ${line}`);

/**
 * uSockets listens with SO_REUSEPORT, so a second server on a busy port would silently share
 * it with the first (and split its traffic). A plain bind, without that flag, tells.
 */
function assertPortFree(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new ConfigError(
          err.code === 'EADDRINUSE'
            ? `${host}:${port} is already in use: stop the other server or set PORT`
            : `cannot listen on ${host}:${port}: ${err.message}; check HOST and PORT`,
        ),
      ),
    );
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/**
 * A worker's garbage is short-lived (one request's strings and closures): a 2 MB young generation
 * holds it as well as V8's default 16 MB, and keeps a worker's peak memory after 1000 connections
 * at about 64 MB instead of 79 MB, with no loss of throughput (measured with wrk at 10 and 1000
 * connections). A size the operator set (NODE_OPTIONS, node flags) wins.
 */
function workerExecArgv(): string[] {
  // V8 accepts the flag with dashes or underscores.
  const own = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((arg) =>
    /--max[-_]semi[-_]space[-_]size/.test(arg),
  );
  return own ? process.execArgv : [...process.execArgv, '--max-semi-space-size=2'];
}

export async function runPrimary(config: ServerConfig): Promise<void> {
  loadUws();
  await assertPortFree(config.host, config.port);
  if (config.http10Port !== undefined) {
    await openHttp10Front({ host: config.host, port: config.http10Port, upstreamPort: config.port });
    log(`HTTP/1.0 front on http://${config.host}:${config.http10Port}, relaying to port ${config.port}`);
  }
  const storage = await prepareStorage(config);
  if (storage.note) log(storage.note);

  cluster.setupPrimary({ execArgv: workerExecArgv(), stdio: ['inherit', 'inherit', 'pipe', 'ipc'] });
  const crashTimes: number[] = [];
  let listeningCount = 0;
  const listened = new WeakSet<Worker>();
  let stopping = false;

  const stop = async (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    // 'close', not 'exit': a worker's last lines are still in its stderr pipe when it exits.
    const exited = workers.map((worker) => new Promise((resolve) => worker.process.once('close', resolve)));
    for (const worker of workers) {
      // A worker still starting may not listen for messages yet, and would miss the word; it owes
      // nothing, and SIGTERM ends it with or without its handler.
      if (listened.has(worker) && worker.isConnected()) worker.send({ type: 'shutdown' });
      else worker.process.kill('SIGTERM');
    }
    const timer = setTimeout(() => workers.forEach((worker) => worker.process.kill('SIGKILL')), STOP_TIMEOUT_MS);
    await Promise.all(exited);
    // The writer goes last: the workers' drained answers waited on it.
    await writer?.stop(STOP_TIMEOUT_MS);
    clearTimeout(timer);
    storage.release();
    process.exit(exitCode);
  };

  /** Counts an unexpected death; false once restarting will not help (and the server stops). */
  const survives = (what: string, how: string): boolean => {
    const now = Date.now();
    crashTimes.push(now);
    while (crashTimes[0] < now - CRASH_WINDOW_MS) crashTimes.shift();
    if (crashTimes.length > CRASH_LIMIT) {
      log(`${what}s keep dying (${crashTimes.length} in ${CRASH_WINDOW_MS / 1000} s, last: ${how}): giving up`);
      void stop(1);
      return false;
    }
    return true;
  };

  /**
   * Starts the writer. At start-up, one that cannot start stops the server (its store does not
   * open: the message says why); a replacement that fails counts as a death and is tried again.
   */
  const startWriter = async (restart: boolean): Promise<boolean> => {
    try {
      await writer!.start();
      return true;
    } catch (err) {
      if (!(err instanceof WriterStartError)) throw err;
      // A writer that a shutdown met before it listened is no failure.
      if (stopping) return false;
      if (!restart) {
        log(err.message);
        void stop(1);
      } else if (survives('writer', err.message)) {
        log(`${err.message}: starting a new one`);
        return startWriter(true);
      }
      return false;
    }
  };
  // With several workers, a remote store's increments all go through one writer process.
  const writer =
    writerPlace(config) === 'process'
      ? new WriterProcess(workerExecArgv(), (pid, how) => {
          if (stopping || !survives('writer', how)) return;
          log(`writer ${pid} died (${how}): starting a new one`);
          void startWriter(true);
        })
      : undefined;

  const fork = () => {
    if (stopping) return;
    const worker = cluster.fork(writer?.workerEnv);
    relayStderr(worker.process, 'worker');
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'fatal') {
        log(message.message);
        void stop(1);
      } else if (message.type === 'listening') {
        listened.add(worker);
        if (++listeningCount !== config.workerCount) return;
        log(
          `listening on http://${config.host}:${config.port} (${config.storage}, ${config.workerCount} ` +
            `worker${config.workerCount === 1 ? '' : 's'}, pid ${process.pid})`,
        );
      }
    });
  };

  cluster.on('exit', (worker, code, signal) => {
    const how = signal ?? `exit ${code}`;
    if (stopping || !survives('worker', how)) return;
    log(`worker ${worker.process.pid} died (${how}): starting a new one`);
    fork();
  });

  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  if (writer && !(await startWriter(false))) return;
  for (let i = 0; i < config.workerCount; i++) fork();
}
