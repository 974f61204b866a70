/**
 * A new Store behind the web server's routes (POST /inc, GET /count, POST /reset, GET /health):
 * the count in this process's memory. One process, so one count.
 *   PORT=8080 node dist/examples/memory-store.js
 *   npx tester web --counter-port 8080
 * To offer it as a STORAGE_METHOD, add it to STORE_KINDS in server/stores/open-store.ts.
 */
import type { us_listen_socket } from 'uWebSockets.js';
import { ErrorLog } from '../server/error-log.js';
import { addRoutes } from '../server/routes.js';
import type { Store } from '../server/stores/store.js';
import { loadUws } from '../server/uws.js';

class MemoryStore implements Store {
  readonly description = 'memory (example)';
  #count = 0;

  /** Synchronous: a local store answers with a number, so the hot path allocates no promise. */
  increment(): number {
    return ++this.#count;
  }

  read(): number {
    return this.#count;
  }

  reset(): void {
    this.#count = 0;
  }

  close(): void {}
}

const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 8080);
const uws = loadUws();
const routes = {
  store: new MemoryStore(),
  errors: new ErrorLog('memory-store'),
  tracker: { inFlightCount: 0 },
  workerCount: 1,
  resetToken: undefined,
};
let listenSocket: us_listen_socket | undefined;

addRoutes(uws.App(), routes).listen(host, port, (socket) => {
  if (!socket) {
    console.error(`memory-store: cannot listen on ${host}:${port}: choose another PORT`);
    process.exit(1);
  }
  listenSocket = socket;
  console.error(`memory-store: listening on ${host}:${port}`);
});

// A deliberate stop: no new connections, and the process ends once the open ones close.
process.on('SIGTERM', () => listenSocket && uws.us_listen_socket_close(listenSocket));
