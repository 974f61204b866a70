/**
 * Latency histograms (hdr-histogram-js) added up and summarised: a run's client groups' and
 * the segments' of a distributed run alike. Percentiles come from the sum, never from averages.
 */
import * as hdr from 'hdr-histogram-js';
import { latencyHistogram } from './client-loop.js';
import type { LatencySummary } from './load-result.js';

/** The sum of histograms in hdr-histogram-js's compressed base64. */
export function addHistograms(histogramsBase64: readonly string[]): hdr.Histogram {
  const total = latencyHistogram();
  for (const encoded of histogramsBase64) total.add(hdr.decodeFromCompressedBase64(encoded));
  return total;
}

export function summarize(histogramsBase64: readonly string[]): LatencySummary {
  const total = addHistograms(histogramsBase64);
  const at = (percentile: number) => total.getValueAtPercentile(percentile);
  return {
    p50Us: at(50),
    p90Us: at(90),
    p99Us: at(99),
    p999Us: at(99.9),
    maxUs: total.maxValue,
    meanUs: Math.round(total.mean),
  };
}

/** Histograms added into one, encoded as hdr-histogram-js encodes them (encodeIntoCompressedBase64). */
export function sumEncoded(histogramsBase64: readonly string[]): string {
  return hdr.encodeIntoCompressedBase64(addHistograms(histogramsBase64));
}
