/**
 * Throughput and latency percentiles over time, in buckets of 100 ms. A run too long for that
 * many buckets gets wider ones (doubling), so a page never holds more than `maxBuckets`.
 */
import { Outcome, type HistoryData } from '../check/history.js';
import { nearestRank } from './percentile.js';
import type { TimeSeries } from './report-shapes.js';

export const defaultBucketMs = 100;
export const maxBuckets = 3000;

/** Buckets the calls by completion time, counted from `originUs` (the run's start). */
export function timeSeries(data: HistoryData, originUs: number): TimeSeries {
  let endUs = originUs;
  for (let i = 0; i < data.length; i++) endUs = Math.max(endUs, data.completeUs[i]);
  let bucketMs = defaultBucketMs;
  while ((endUs - originUs) / 1000 / bucketMs >= maxBuckets) bucketMs *= 2;
  const bucketCount = Math.floor((endUs - originUs) / 1000 / bucketMs) + 1;

  const bucketOf = new Uint32Array(data.length);
  const counts = [0, 1, 2].map(() => new Float64Array(bucketCount));
  const sizes = new Uint32Array(bucketCount + 1);
  for (let i = 0; i < data.length; i++) {
    const bucket = Math.max(0, Math.floor((data.completeUs[i] - originUs) / 1000 / bucketMs));
    bucketOf[i] = bucket;
    counts[data.outcomes[i]][bucket]++;
    sizes[bucket + 1]++;
  }
  const latencies = latenciesByBucket(data, bucketOf, sizes);
  const perSecond = (column: Float64Array) => Array.from(column, (n) => (n * 1000) / bucketMs);
  const series: TimeSeries = {
    bucketMs,
    startMs: Array.from({ length: bucketCount }, (_, b) => b * bucketMs),
    okPerSecond: perSecond(counts[Outcome.ok]),
    failedPerSecond: perSecond(counts[Outcome.failed]),
    indeterminatePerSecond: perSecond(counts[Outcome.indeterminate]),
    p50Ms: [],
    p90Ms: [],
    p99Ms: [],
    maxMs: [],
  };
  for (let b = 0; b < bucketCount; b++) {
    const sorted = latencies.subarray(sizes[b], sizes[b + 1]).sort();
    series.p50Ms.push(percentileMs(sorted, 0.5));
    series.p90Ms.push(percentileMs(sorted, 0.9));
    series.p99Ms.push(percentileMs(sorted, 0.99));
    series.maxMs.push(percentileMs(sorted, 1));
  }
  return series;
}

/**
 * Every call's latency (µs), grouped by bucket: bucket b's are at [starts[b], starts[b + 1]).
 * `sizes` holds counts shifted by one and becomes those starts (a counting sort).
 */
function latenciesByBucket(data: HistoryData, bucketOf: Uint32Array, sizes: Uint32Array): Float64Array {
  for (let b = 1; b < sizes.length; b++) sizes[b] += sizes[b - 1];
  const next = sizes.slice();
  const latencies = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) latencies[next[bucketOf[i]]++] = data.completeUs[i] - data.invokeUs[i];
  return latencies;
}

/** A percentile of sorted µs values, in ms rounded to the µs; null when empty. */
function percentileMs(sorted: Float64Array, fraction: number): number | null {
  const us = nearestRank(sorted, fraction);
  return us === null ? null : Math.round(us) / 1000;
}
