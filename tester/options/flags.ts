/**
 * Flags that more than one command takes, declared once (as autocannon's defaultOptions): the
 * same name, default, limits and description wherever they appear.
 */
import { Option } from 'clipanion';
import { wholeNumber } from './whole-number.js';

export const DEFAULT_TIMEOUT_MS = 10_000;

/** --timeout-ms: how long one web call may take before it counts as indeterminate. */
export function timeoutMsFlag() {
  return Option.String('--timeout-ms', String(DEFAULT_TIMEOUT_MS), {
    validator: wholeNumber(1, 3_600_000),
    description: `Per-call timeout in ms (web; default ${DEFAULT_TIMEOUT_MS})`,
  });
}

/** --client-threads: the tester's worker threads (0: every client on the main thread). */
export function clientThreadsFlag() {
  return Option.String('--client-threads', '0', {
    validator: wholeNumber(0, 64),
    description: 'Tester worker threads to spread clients over (default 0: all on the main thread)',
  });
}
