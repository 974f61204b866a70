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

/** --rounds: how often each cell (or the one scenario) runs; compare's default gives every median a 95% interval. */
export function roundsFlag(defaultRounds: number, what: string) {
  return Option.String('--rounds', String(defaultRounds), {
    validator: wholeNumber(1, 1000),
    description: `Times to run ${what}, for medians with 95% intervals (default ${defaultRounds})`,
  });
}

/** --warmup: unrecorded calls before each measured run. */
export function warmupFlag(defaultText?: string) {
  const defaults = defaultText === undefined ? '' : `; default ${defaultText}`;
  const description = `Unrecorded calls for this long before each measured run (e.g. 5s${defaults})`;
  if (defaultText === undefined) return Option.String('--warmup', { description });
  return Option.String('--warmup', defaultText, { description });
}

export const DEFAULT_ALPHA = '0.05';

/** --alpha: the significance level of every Mann-Whitney test. */
export function alphaFlag() {
  return Option.String('--alpha', DEFAULT_ALPHA, {
    description: `Significance level of the Mann-Whitney tests (default ${DEFAULT_ALPHA})`,
  });
}

/** --against: a saved run to compare with, cell by cell. */
export function againstFlag(what: string) {
  return Option.String('--against', {
    description: `Compare with a saved run (${what}); a significant regression beyond --max-regression exits 1`,
  });
}

export const DEFAULT_MAX_REGRESSION = '5%';

/** --max-regression: how much slower than the saved run a significant difference may be. */
export function maxRegressionFlag() {
  return Option.String('--max-regression', DEFAULT_MAX_REGRESSION, {
    description: `With --against: the slowdown a CI tolerates (default ${DEFAULT_MAX_REGRESSION})`,
  });
}
