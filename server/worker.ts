import type { us_listen_socket } from 'uWebSockets.js';
import type { ServerConfig } from './config.js';
import { ErrorLog } from './error-log.js';
import { addRoutes } from './routes.js';
import { openStore } from './stores/open-store.js';
import type { Store } from './stores/store.js';
import { loadUws } from './uws.js';
import { type WorkerMessage, describeError, exitWorker } from './messages.js';
import { setTimeout as sleep } from 'node:timers/promises';

/** Longest a stopping worker waits for answers already owed to clients. */
const DRAIN_TIMEOUT_MS = 5000;

export async function runWorker(config: ServerConfig): Promise<void> {
  const uws = loadUws();
  const errors = new ErrorLog(`web-counter worker ${process.pid}`);
  const tracker = { inFlightCount: 0 };
  let store: Store | undefined;
  let listenSocket: us_listen_socket | undefined;
  let stopping = false;

  const tell = (message: WorkerMessage) => process.send?.(message);
  // stderr is a pipe to the primary (see child-stderr.ts): once a kill -9 took the primary, a
  // log line must not crash this worker while it drains.
  process.stderr.on('error', () => {});

  const stop = async () => {
    if (stopping) return;
    stopping = true;
    if (listenSocket) uws.us_listen_socket_close(listenSocket);
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    while (tracker.inFlightCount > 0 && Date.now() < deadline) await sleep(10);
    try {
      await store?.close();
    } catch (err) {
      console.error(`web-counter worker ${process.pid}: closing store: ${describeError(err)}`);
    }
    process.exit(0);
  };
  // Attached before the store loads, so a shutdown or the primary's death during that import is not missed.
  process.on('message', (message: { type?: string }) => message?.type === 'shutdown' && void stop());
  // A terminal's Ctrl-C reaches every process of the group: the primary coordinates, workers just drain.
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  // The primary died without telling us (kill -9): nobody would restart or stop us.
  process.on('disconnect', () => void stop());

  store = await openStore(config);
  if (stopping) return;
  const routes = { store, errors, tracker, workerCount: config.workerCount, resetToken: config.resetToken };
  addRoutes(uws.App(), routes).listen(config.host, config.port, (socket) => {
    if (!socket) {
      exitWorker(`cannot listen on ${config.host}:${config.port}: choose another PORT or HOST`);
      return;
    }
    listenSocket = socket;
    tell({ type: 'listening' });
  });
}
