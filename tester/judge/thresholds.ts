/** Thresholds already measured, judged into a verdict: a run's and `tester check`'s alike. */
import type { ThresholdResult } from '../history/run-history.js';

/** Pass/fail limits on a run's measurements, as k6 has them: a CI job needs no script around the tester. */
export interface Thresholds {
  maxP99Ms?: number;
  minRps?: number;
  maxErrors?: number;
}

/** e.g. "threshold --max-p99 5 ms exceeded: p99 was 12.3 ms" */
function failureText({ flag, limit, actual }: ThresholdResult): string {
  if (flag === '--max-p99') return `threshold ${flag} ${limit} ms exceeded: p99 was ${actual} ms`;
  if (flag === '--min-rps') return `threshold ${flag} ${limit} not reached: ${actual} requests/s`;
  return `threshold ${flag} ${limit} exceeded: ${actual} errors`;
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
