/**
 * A distribution-free confidence interval for the median from order statistics, as Go's benchstat
 * gives one per benchmark (golang.org/x/perf/benchmath, go-moremath's QuantileCI). Whatever the
 * distribution, the count of sample values below the population median is Binomial(n, 1/2), so
 * [x(l), x(n+1-l)] covers the median with probability 1 - 2 P(Y <= l-1) (Hollander & Wolfe,
 * "Nonparametric Statistical Methods", the sign-test interval; Conover, "Practical Nonparametric
 * Statistics", 3.2).
 *
 * The interval is equal-tailed: l is the largest order with P(Y <= l-1) <= (1-confidence)/2 on
 * each side, the interval scipy.stats.quantile_test(...).confidence_interval() gives for p=0.5
 * (the test checks it against scipy). benchstat instead grows the shortest interval from the mode,
 * which for some n is one order statistic narrower on one side; both need the same n for an
 * interval at all (6 at 95%), so benchstat's "need >= 6 samples" warning reads the same.
 */
import { type Interval, range, sortedMedian, sortedSample } from './sample.js';

/** 1-based order statistics that bound the interval: [x(low), x(high)] of the sorted sample. */
export interface Orders {
  low: number;
  high: number;
}

function checkConfidence(confidence: number): void {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
}

/**
 * The orders of the equal-tailed interval for a sample of n, or undefined when even [x(1), x(n)]
 * covers the median with less than `confidence` (n too small). Sums the binomial lower tail in
 * log space, so that 2^-n does not underflow for large n.
 */
export function medianIntervalOrders(n: number, confidence: number): Orders | undefined {
  checkConfidence(confidence);
  const tail = (1 - confidence) / 2;
  let low = 0;
  let cdf = 0;
  let logPmf = -n * Math.LN2;
  for (let k = 0; k < n; k++) {
    cdf += Math.exp(logPmf); // P(Y <= k)
    if (cdf > tail) break;
    low = k + 1;
    logPmf += Math.log((n - k) / (k + 1));
  }
  return low === 0 ? undefined : { low, high: n + 1 - low };
}

/** The interval for the sample's median, or undefined when the sample is too small for one. */
export function medianInterval(values: readonly number[], confidence = 0.95): Interval | undefined {
  const sorted = sortedSample(values);
  const orders = medianIntervalOrders(sorted.length, confidence);
  return orders && { low: sorted[orders.low - 1], high: sorted[orders.high - 1] };
}

/** The fewest samples that give an interval at this confidence (benchstat's "need >= N samples"). */
export function samplesForMedianInterval(confidence = 0.95): number {
  let n = 1;
  while (!medianIntervalOrders(n, confidence)) n++;
  return n;
}

/**
 * Rounds per cell when the user does not say: the fewest that give a 95% interval for the median
 * (6, since 2 * 2^-6 <= 0.05 < 2 * 2^-5), so that no default run prints a bare median. Six rounds
 * also let the Mann-Whitney test reach p = 0.002 between two cells, far below alpha 0.05.
 */
export const defaultRounds = (): number => samplesForMedianInterval(0.95);

/** A cell's figure with its uncertainty: what the table, JSON and chart show. */
export interface MedianSummary {
  n: number;
  median: number;
  confidence: number;
  /** Undefined when there are too few samples for an interval at `confidence`. */
  interval?: Interval;
  /** Set when `interval` is undefined: how many samples an interval needs. */
  samplesNeeded?: number;
  /** The min-max spread. */
  range: Interval;
}

export function summarize(values: readonly number[], confidence = 0.95): MedianSummary {
  const sorted = sortedSample(values);
  const interval = medianInterval(sorted, confidence);
  const summary: MedianSummary = { n: sorted.length, median: sortedMedian(sorted), confidence, range: range(sorted) };
  if (interval) summary.interval = interval;
  else summary.samplesNeeded = samplesForMedianInterval(confidence);
  return summary;
}
