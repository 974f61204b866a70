import type { Worker } from 'node:cluster';
import readline from 'node:readline';
import { ErrorLog } from './error-log.js';

/** libpq's notice format: a severity, a colon and two spaces ("FATAL:  terminating connection ..."). */
const LIBPQ_NOTICE = /^(FATAL|PANIC|ERROR|WARNING|NOTICE|INFO|LOG|DEBUG):  /;

/**
 * A worker's stderr comes through the primary. libpq prints some server messages straight to
 * stderr (a FATAL arriving right after a statement's result, as every session gets during
 * pg_ctl -m fast stop, goes to its default notice processor, which pg-native cannot replace):
 * those lines go through the worker's rate-limited log; every other line passes unchanged.
 */
export function relayWorkerStderr(worker: Worker): void {
  const errors = new ErrorLog(`web-counter worker ${worker.process.pid}`);
  readline.createInterface({ input: worker.process.stderr!, crlfDelay: Infinity }).on('line', (line) => {
    if (LIBPQ_NOTICE.test(line)) errors.report(`libpq: ${line}`);
    else console.error(line);
  });
}
