import type { ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { ErrorLog } from './error-log.js';

/** libpq's notice format: a severity, a colon and two spaces ("FATAL:  terminating connection ..."). */
const LIBPQ_NOTICE = /^(FATAL|PANIC|ERROR|WARNING|NOTICE|INFO|LOG|DEBUG):  /;

/**
 * A worker's or the writer's stderr comes through the primary. libpq prints some server messages straight to
 * stderr (a FATAL arriving right after a statement's result, as every session gets during
 * pg_ctl -m fast stop, goes to its default notice processor, which pg-native cannot replace):
 * those lines go through the process's rate-limited log; every other line passes unchanged.
 */
export function relayStderr(child: ChildProcess, role: 'worker' | 'writer'): void {
  const errors = new ErrorLog(`web-counter ${role} ${child.pid}`);
  readline.createInterface({ input: child.stderr!, crlfDelay: Infinity }).on('line', (line) => {
    if (LIBPQ_NOTICE.test(line)) errors.report(`libpq: ${line}`);
    else console.error(line);
  });
}
