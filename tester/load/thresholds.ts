import { type Thresholds, withThresholds } from '../judge/thresholds.js';
import type { ThresholdResult } from '../history/run-history.js';
import type { LoadResult } from './load-result.js';

export type { Thresholds };

/** Each limit against a run's measures. */
export function measureThresholds(
  result: Pick<LoadResult, 'latency' | 'rps' | 'errors'>,
  thresholds: Thresholds,
): ThresholdResult[] {
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

/** The result with its thresholds judged: a failed one fails the run and is named in the verdict. */
export function applyThresholds(result: LoadResult, thresholds: Thresholds): LoadResult {
  return withThresholds(result, measureThresholds(result, thresholds));
}
