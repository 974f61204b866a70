/**
 * The statistics of comparisons, in one place for `tester compare`, single-scenario rounds and
 * bench/ (issue 27): medians with distribution-free intervals and their spread, the Mann-Whitney
 * U test, ratios of medians with intervals and verdicts, rankings, and seeded round orders. Pure
 * functions on arrays of numbers; test/statistics.test.ts checks them against scipy.
 */
export { type Interval, median, range } from './sample.js';
export {
  type MedianSummary,
  type Orders,
  defaultRounds,
  medianInterval,
  medianIntervalOrders,
  samplesForMedianInterval,
  summarize,
} from './median-interval.js';
export { type UTest, mannWhitneyU } from './mann-whitney.js';
export { type RatioEstimate, ratioOfMedians } from './ratio.js';
export {
  type Cell,
  type CompareOptions,
  type RankedCell,
  type Verdict,
  compareSamples,
  formatP,
  formatVerdict,
  rankCells,
} from './verdict.js';
export { randomSeed, seededRandom, shuffle, shuffledRounds } from './seeded-shuffle.js';
