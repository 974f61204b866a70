/**
 * How many times faster one cell is than another: the ratio of their medians, with a
 * distribution-free confidence interval for the ratio. The interval is Moses's for a shift
 * (Hollander & Wolfe, "Nonparametric Statistical Methods", 4.3; the interval R's
 * wilcox.test(conf.int = TRUE) reports) taken on log values, where a ratio is a shift: the
 * order statistics of the n1*n2 pairwise log differences log a_i - log b_j, that is of the
 * pairwise ratios a_i / b_j, cut at the Mann-Whitney critical count.
 *
 * The critical count is the one of the very test the verdict uses (scipy's method='auto',
 * mann-whitney.ts), so the interval is exactly the set of ratios r for which "a / r against b"
 * is not significant at alpha: the interval excludes 1 when the verdict says significant,
 * except when values tie across the two samples, which the tie correction weighs at r = 1 only.
 */
import { tieSizes, uTestPValue } from './mann-whitney.js';
import { type Interval, checkSample, median } from './sample.js';

export interface RatioEstimate {
  /** median(a) / median(b). */
  ratio: number;
  /** 1 - alpha. */
  confidence: number;
  /** Undefined when the samples are too small for the test to ever reject at alpha (e.g. 3 against 3 at 0.05). */
  interval?: Interval;
}

/**
 * The largest count c such that min(U, n1*n2 - U) = c is significant at alpha, or undefined when
 * none is. The p-value grows with c, so a binary search finds it; a count of (n1*n2 - 1)/2 or
 * more is never significant (its p-value is 1).
 */
function criticalCount(n1: number, n2: number, ties: number[], alpha: number): number | undefined {
  const pValue = uTestPValue(n1, n2, ties);
  if (pValue(0) > alpha) return undefined;
  let significant = 0;
  let notSignificant = Math.ceil((n1 * n2 - 1) / 2);
  while (notSignificant - significant > 1) {
    const mid = (significant + notSignificant) >> 1;
    if (pValue(mid) <= alpha) significant = mid;
    else notSignificant = mid;
  }
  return significant;
}

function checkPositive(values: readonly number[]): void {
  checkSample(values);
  if (!values.every((value) => value > 0)) throw new RangeError(`a ratio needs positive values: ${values.join(', ')}`);
}

/**
 * The ratio of medians of a over b and its 1 - alpha interval. Shifting a by r leaves the ties
 * within each sample and, for all but finitely many r, none across them: those within-sample
 * ties are what the inverted test is corrected for.
 */
export function ratioOfMedians(a: readonly number[], b: readonly number[], alpha = 0.05): RatioEstimate {
  checkPositive(a);
  checkPositive(b);
  const estimate: RatioEstimate = { ratio: median(a) / median(b), confidence: 1 - alpha };
  const critical = criticalCount(a.length, b.length, [...tieSizes(a), ...tieSizes(b)], alpha);
  if (critical === undefined) return estimate;
  const ratios = a.flatMap((x) => b.map((y) => x / y)).sort((x, y) => x - y);
  // Significant when at most `critical` pairwise ratios lie above r (or below it): the interval
  // runs from the (critical+1)-th smallest ratio to the (critical+1)-th largest.
  estimate.interval = { low: ratios[critical], high: ratios[ratios.length - 1 - critical] };
  return estimate;
}
