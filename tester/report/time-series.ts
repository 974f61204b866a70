/**
 * Throughput and latency percentiles over time, in buckets of 100 ms. The calls stream in, so
 * the run's length is unknown: when a call lands beyond `maxBuckets`, neighbouring buckets merge
 * in pairs (the width doubles), so a page never holds more than `maxBuckets` and the recorder
 * never more than `maxBuckets` latency histograms, however long the run.
 */
import { Outcome, type HistoryData } from '../check/history.js';
import { LogHistogram, percentileError } from './log-histogram.js';
import type { TimeSeries } from './report-shapes.js';

export const defaultBucketMs = 100;
export const maxBuckets = 3000;

/** Buckets calls by completion time, counted from `originUs` (the run's start). */
export class TimeSeriesRecorder {
  readonly #originUs: number;
  #bucketMs = defaultBucketMs;
  /** Buckets up to the last one any call landed in (at least one). */
  #bucketCount = 1;
  readonly #counts = [0, 1, 2].map(() => new Float64Array(maxBuckets));
  readonly #latencies: Array<LogHistogram | undefined> = new Array(maxBuckets);

  constructor(originUs: number) {
    this.#originUs = originUs;
  }

  add(completeUs: number, latencyUs: number, outcome: Outcome): void {
    let bucket = this.#bucketOf(completeUs);
    while (bucket >= maxBuckets) {
      this.#coarsen();
      bucket = this.#bucketOf(completeUs);
    }
    if (bucket >= this.#bucketCount) this.#bucketCount = bucket + 1;
    this.#counts[outcome][bucket]++;
    (this.#latencies[bucket] ??= new LogHistogram()).add(latencyUs);
  }

  /** Every call's latency: the buckets' histograms merged. */
  wholeRun(): LogHistogram {
    const whole = new LogHistogram();
    for (let b = 0; b < this.#bucketCount; b++) {
      const bucket = this.#latencies[b];
      if (bucket) whole.merge(bucket);
    }
    return whole;
  }

  series(): TimeSeries {
    const bucketMs = this.#bucketMs;
    const perSecond = (column: Float64Array) =>
      Array.from(column.subarray(0, this.#bucketCount), (n) => (n * 1000) / bucketMs);
    const percentileMs = (fraction: number) =>
      Array.from({ length: this.#bucketCount }, (_, b) => {
        const us = this.#latencies[b]?.percentile(fraction) ?? null;
        return us === null ? null : Math.round(us) / 1000;
      });
    return {
      bucketMs,
      startMs: Array.from({ length: this.#bucketCount }, (_, b) => b * bucketMs),
      okPerSecond: perSecond(this.#counts[Outcome.ok]),
      failedPerSecond: perSecond(this.#counts[Outcome.failed]),
      indeterminatePerSecond: perSecond(this.#counts[Outcome.indeterminate]),
      p50Ms: percentileMs(0.5),
      p90Ms: percentileMs(0.9),
      p99Ms: percentileMs(0.99),
      maxMs: percentileMs(1),
      percentileError,
    };
  }

  #bucketOf(completeUs: number): number {
    return Math.max(0, Math.floor((completeUs - this.#originUs) / 1000 / this.#bucketMs));
  }

  /** Doubles the width: bucket b becomes old buckets 2b and 2b + 1. */
  #coarsen(): void {
    const merged = Math.floor((this.#bucketCount - 1) / 2) + 1;
    for (let b = 0; b < merged; b++) {
      for (const counts of this.#counts) counts[b] = counts[2 * b] + (counts[2 * b + 1] ?? 0);
      const [first, second] = [this.#latencies[2 * b], this.#latencies[2 * b + 1]];
      if (first && second) first.merge(second);
      this.#latencies[b] = first ?? second;
    }
    for (const counts of this.#counts) counts.fill(0, merged);
    this.#latencies.fill(undefined, merged);
    this.#bucketCount = merged;
    this.#bucketMs *= 2;
  }
}

/** The series of a whole history at once (the recorder fed every call). */
export function timeSeries(data: HistoryData, originUs: number): TimeSeries {
  const recorder = new TimeSeriesRecorder(originUs);
  for (let i = 0; i < data.length; i++) {
    recorder.add(data.completeUs[i], data.completeUs[i] - data.invokeUs[i], data.outcomes[i] as Outcome);
  }
  return recorder.series();
}
