/**
 * The Mann-Whitney U test, two-sided, as benchstat compares two samples, computed exactly as
 * scipy.stats.mannwhitneyu(a, b) does by default (method='auto', use_continuity=True): the
 * exact null distribution when either sample has at most 8 values and no value repeats,
 * otherwise the normal approximation with tie correction and continuity correction. The test
 * checks both statistic and p-value against scipy.
 */
import { normalUpperTail } from './normal-tail.js';
import { checkSample, equalRuns, sortedSample } from './sample.js';

export interface UTest {
  /** U of the first sample: the pairs (x from a, y from b) with x > y, ties counting 1/2 (scipy's statistic). */
  u: number;
  /** Two-sided. */
  p: number;
  method: 'exact' | 'asymptotic';
}

/** The rank sum of `a` in the pooled sample (tied values share their average rank) and the sizes of tie groups. */
function rankSum(a: readonly number[], b: readonly number[]): { rankSumA: number; ties: number[] } {
  const pooled = [...a.map((value) => ({ value, inA: true })), ...b.map((value) => ({ value, inA: false }))];
  pooled.sort((x, y) => x.value - y.value);
  let rankSumA = 0;
  const ties: number[] = [];
  for (const [start, end] of equalRuns(pooled.map((item) => item.value))) {
    const averageRank = (start + 1 + end) / 2;
    for (let i = start; i < end; i++) if (pooled[i].inA) rankSumA += averageRank;
    if (end - start > 1) ties.push(end - start);
  }
  return { rankSumA, ties };
}

/** Sizes of the groups of equal values within one sample. */
export function tieSizes(values: readonly number[]): number[] {
  return equalRuns(sortedSample(values))
    .map(([start, end]) => end - start)
    .filter((size) => size > 1);
}

/** scipy's rule: the exact distribution is cheap and right when a sample is small, but assumes no ties. */
const EXACT_MAX_SIZE = 8;

function usesExact(n1: number, n2: number, ties: readonly number[]): boolean {
  return Math.min(n1, n2) <= EXACT_MAX_SIZE && ties.length === 0;
}

/**
 * P(U <= u) for u = 0..last under the null hypothesis, m <= n. The number of arrangements with
 * U = u is the coefficient of q^u in the Gaussian binomial [m+n choose m]_q (Mann & Whitney
 * 1947; Andrews, "The Theory of Partitions", 3.3), built as the product over i = 1..m of
 * (1 - q^(n+i)) / (1 - q^i), truncated at q^last. Each partial product [n+i choose i]_q has
 * non-negative integer coefficients; with m <= 8 every intermediate sum stays an exact integer in
 * a double (below 2^53) up to n = 890. O(m * last), where scipy's recursion (Löffler 1983) is O(last^2).
 */
function exactLowerTail(m: number, n: number, last: number): number[] {
  const counts = new Array<number>(last + 1).fill(0);
  counts[0] = 1;
  let total = 1; // C(n+i, i)
  for (let i = 1; i <= m; i++) {
    for (let u = i; u <= last; u++) counts[u] += counts[u - i]; // divide by (1 - q^i)
    for (let u = last; u >= n + i; u--) counts[u] -= counts[u - n - i]; // multiply by (1 - q^(n+i))
    total = (total * (n + i)) / i;
  }
  let cumulative = 0;
  return counts.map((count) => (cumulative += count) / total);
}

/**
 * The two-sided p-value as a function of the smaller of U and n1*n2 - U, for samples of sizes
 * n1 and n2 whose tie groups have the given sizes: scipy's method='auto'. Returned as a function
 * so that the ratio's interval can invert the same test (ratio.ts).
 */
export function uTestPValue(n1: number, n2: number, ties: readonly number[]): (smallerU: number) => number {
  const product = n1 * n2;
  if (usesExact(n1, n2, ties)) {
    const cdf = exactLowerTail(Math.min(n1, n2), Math.max(n1, n2), Math.floor(product / 2));
    return (smallerU) => Math.min(1, 2 * cdf[smallerU]);
  }
  // Normal approximation, variance with the tie correction (scipy's _get_mwu_z; Lehmann,
  // "Nonparametrics", 1.4): Var U = n1 n2 / 12 ((n+1) - sum(t^3 - t) / (n (n-1))).
  const n = n1 + n2;
  const tieTerm = ties.reduce((sum, t) => sum + t ** 3 - t, 0);
  const sd = Math.sqrt((product / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  return (smallerU) => {
    // The larger U, less 1/2 for continuity; with every value tied sd is 0 and z is -Infinity, p 1.
    const z = (product - smallerU - product / 2 - 0.5) / sd;
    return Math.min(1, 2 * normalUpperTail(z));
  };
}

export function mannWhitneyU(a: readonly number[], b: readonly number[]): UTest {
  checkSample(a);
  checkSample(b);
  const { rankSumA, ties } = rankSum(a, b);
  const u = rankSumA - (a.length * (a.length + 1)) / 2;
  const smallerU = Math.min(u, a.length * b.length - u);
  const p = uTestPValue(a.length, b.length, ties)(smallerU);
  return { u, p, method: usesExact(a.length, b.length, ties) ? 'exact' : 'asymptotic' };
}
