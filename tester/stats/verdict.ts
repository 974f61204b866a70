/**
 * What a comparison of two cells says, as benchstat says it: a difference only where the
 * Mann-Whitney test finds one at alpha, otherwise "~" with the p-value; and a ranking that puts
 * two cells in order only when they differ significantly.
 *
 * No correction for comparing many pairs (benchstat makes none either): at alpha 0.05, one
 * comparison in twenty between equal cells is expected to come out significant.
 */
import { mannWhitneyU } from './mann-whitney.js';
import { type RatioEstimate, ratioOfMedians } from './ratio.js';
import { median } from './sample.js';

export interface CompareOptions {
  /** Significance level, default 0.05 (--alpha). */
  alpha?: number;
  /** True for throughput (the default), false for latencies: which way is "faster". */
  higherIsBetter?: boolean;
}

export interface Verdict extends RatioEstimate {
  /** Two-sided Mann-Whitney p-value. */
  p: number;
  alpha: number;
  /** Set only when p <= alpha. */
  direction?: 'faster' | 'slower';
}

const DEFAULT_ALPHA = 0.05;

/**
 * a against b (the baseline). Which way a significant difference goes follows U, the statistic
 * the test judged, rather than the medians, which can disagree with it on odd-shaped samples.
 */
export function compareSamples(a: readonly number[], b: readonly number[], options: CompareOptions = {}): Verdict {
  const { alpha = DEFAULT_ALPHA, higherIsBetter = true } = options;
  const { u, p } = mannWhitneyU(a, b);
  const verdict: Verdict = { ...ratioOfMedians(a, b, alpha), p, alpha };
  const aIsHigher = u > (a.length * b.length) / 2;
  if (p <= alpha) verdict.direction = aIsHigher === higherIsBetter ? 'faster' : 'slower';
  return verdict;
}

/** "0.42", or two significant digits below 0.01 ("0.0031"), so that a small p never reads as 0.00. */
export const formatP = (p: number): string => (p >= 0.01 ? p.toFixed(2) : p.toPrecision(2));

/** "1.31x [1.22-1.40] faster", or "~ (p=0.42)" when the difference is not significant. */
export function formatVerdict(verdict: Verdict): string {
  if (!verdict.direction) return `~ (p=${formatP(verdict.p)})`;
  const interval = verdict.interval && ` [${verdict.interval.low.toFixed(2)}-${verdict.interval.high.toFixed(2)}]`;
  return `${verdict.ratio.toFixed(2)}x${interval ?? ''} ${verdict.direction}`;
}

export interface Cell<Key> {
  key: Key;
  samples: readonly number[];
}

export interface RankedCell<Key> {
  key: Key;
  /** 1 for the best group; cells that share a rank are not ordered among themselves. */
  rank: number;
}

/**
 * Cells best first, grouped so that every cell is significantly faster than every cell of every
 * later group. Sorted by median, a cut between two neighbours is drawn only where each cell
 * above it beats each cell below it; significance is not transitive (a beats c, b ties with
 * both), so checking only the neighbours would order cells the test cannot tell apart.
 */
export function rankCells<Key>(cells: readonly Cell<Key>[], options: CompareOptions = {}): RankedCell<Key>[] {
  const sign = options.higherIsBetter === false ? -1 : 1;
  const sorted = [...cells].sort((x, y) => sign * (median(y.samples) - median(x.samples)));
  const faster = (x: Cell<Key>, y: Cell<Key>) => compareSamples(x.samples, y.samples, options).direction === 'faster';
  const beats = sorted.map((x) => sorted.map((y) => faster(x, y)));
  const ranked: RankedCell<Key>[] = [];
  let rank = 1;
  sorted.forEach((cell, i) => {
    if (i > 0 && beats.slice(0, i).every((row) => row.slice(i).every(Boolean))) rank++;
    ranked.push({ key: cell.key, rank });
  });
  return ranked;
}
