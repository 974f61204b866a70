import type { LoadResult } from './run-load.js';

/** Pass/fail limits on a run's measurements, as k6 has them: a CI job needs no script around the tester. */
export interface Thresholds {
  maxP99Ms?: number;
  minRps?: number;
  maxErrors?: number;
}

/** One threshold's outcome, as `--json` shows it. */
export interface ThresholdResult {
  flag: '--max-p99' | '--min-rps' | '--max-errors';
  /** The limit and the measured value, in `unit`. */
  limit: number;
  actual: number;
  unit: 'ms' | 'requests/s' | 'errors';
  passed: boolean;
}

function measure(result: LoadResult, thresholds: Thresholds): ThresholdResult[] {
  const checks: ThresholdResult[] = [];
  const { maxP99Ms, minRps, maxErrors } = thresholds;
  if (maxP99Ms !== undefined) {
    const actual = result.latency.p99Us / 1000;
    checks.push({ flag: '--max-p99', limit: maxP99Ms, actual, unit: 'ms', passed: actual <= maxP99Ms });
  }
  if (minRps !== undefined) {
    const actual = Math.round(result.rps * 100) / 100;
    checks.push({ flag: '--min-rps', limit: minRps, actual, unit: 'requests/s', passed: result.rps >= minRps });
  }
  if (maxErrors !== undefined) {
    const actual = Object.values(result.errors).reduce((sum, n) => sum + n, 0);
    checks.push({ flag: '--max-errors', limit: maxErrors, actual, unit: 'errors', passed: actual <= maxErrors });
  }
  return checks;
}

/** e.g. "threshold --max-p99 5 ms exceeded: p99 was 12.3 ms" */
function failureText({ flag, limit, actual }: ThresholdResult): string {
  if (flag === '--max-p99') return `threshold ${flag} ${limit} ms exceeded: p99 was ${actual} ms`;
  if (flag === '--min-rps') return `threshold ${flag} ${limit} not reached: ${actual} requests/s`;
  return `threshold ${flag} ${limit} exceeded: ${actual} errors`;
}

/** The result with its thresholds judged: a failed one fails the run and is named in the verdict. */
export function applyThresholds(result: LoadResult, thresholds: Thresholds): LoadResult {
  return withThresholds(result, measure(result, thresholds));
}

/** A verdict with thresholds already measured: `tester check` judges a saved run's this way. */
export function withThresholds<T extends { passed: boolean; verdict: string }>(
  judged: T,
  checks: ThresholdResult[] = [],
): T {
  if (checks.length === 0) return judged;
  const failures = checks.filter((check) => !check.passed).map(failureText);
  return {
    ...judged,
    thresholds: checks,
    passed: judged.passed && failures.length === 0,
    verdict: [judged.verdict, ...failures].join('; '),
  };
}
