/**
 * A cell's rounds as figures with their uncertainty (issue 27, point 2): the median RPS and p99
 * over the rounds, each with its distribution-free 95% interval and min-max spread, and how many
 * rounds the loader or the host may have set the speed in. `tester compare` and a single
 * scenario's `--rounds` both report these, in text and in JSON.
 */
import type { LoadResult, RoundFigures } from '../load/load-result.js';
import { type MedianSummary, median, summarize } from '../stats/statistics.js';

export function roundFigures(results: readonly LoadResult[]): RoundFigures {
  const rps = results.map((result) => result.rps);
  const p99Us = results.map((result) => result.latency.p99Us);
  const limitedIn = (limit: 'loader' | 'host') =>
    results.filter((result) => result.resources.limitedBy.includes(limit)).length;
  return {
    count: results.length,
    samples: { rps, p99Us },
    rps: summarize(rps),
    p99Us: summarize(p99Us),
    limitedBy: { loader: limitedIn('loader'), host: limitedIn('host') },
  };
}

/**
 * The round a single result stands for: the first that failed (its verdict explains the cell's),
 * else the one nearest the median RPS.
 */
export function representativeRound(results: readonly LoadResult[]): number {
  const failed = results.findIndex((result) => !result.passed);
  if (failed >= 0) return failed;
  const middle = median(results.map((result) => result.rps));
  let best = 0;
  results.forEach((result, i) => {
    if (Math.abs(result.rps - middle) < Math.abs(results[best].rps - middle)) best = i;
  });
  return best;
}

const whole = (n: number) => Math.round(n).toString();

/** "41148 [39002-42310]", or with too few rounds "41148 (no 95% CI: 3 rounds, need 6)", as benchstat warns. */
export function summaryText(summary: MedianSummary): string {
  if (summary.interval) return `${whole(summary.median)} [${whole(summary.interval.low)}-${whole(summary.interval.high)}]`;
  const rounds = `${summary.n} round${summary.n === 1 ? '' : 's'}`;
  return `${whole(summary.median)} (no ${summary.confidence * 100}% CI: ${rounds}, need ${summary.samplesNeeded})`;
}

/** "38000-43000". */
export const rangeText = (summary: MedianSummary): string => `${whole(summary.range.low)}-${whole(summary.range.high)}`;

/** "loader 6/6, host 2/6", or '' when neither limited any round. */
export function limitText(figures: RoundFigures): string {
  const { loader, host } = figures.limitedBy;
  const parts = [];
  if (loader) parts.push(`loader ${loader}/${figures.count}`);
  if (host) parts.push(`host ${host}/${figures.count}`);
  return parts.join(', ');
}
