/**
 * Latencies on log-spaced bins, ten per decade, spanning only the decades the run touched:
 * a long tail stays visible next to the bulk, and the page holds a few dozen numbers.
 */
import { Outcome, type HistoryData } from '../check/history.js';
import type { LatencyHistogram } from './report-shapes.js';

const binsPerDecade = 10;

export function latencyHistogram(data: HistoryData): LatencyHistogram {
  let minUs = Infinity;
  let maxUs = 0;
  for (let i = 0; i < data.length; i++) {
    const latencyUs = Math.max(1, data.completeUs[i] - data.invokeUs[i]);
    minUs = Math.min(minUs, latencyUs);
    maxUs = Math.max(maxUs, latencyUs);
  }
  if (data.length === 0) return { edgesMs: [], okCount: [], failedCount: [], indeterminateCount: [] };
  const first = Math.floor(Math.log10(minUs) * binsPerDecade);
  const binCount = Math.floor(Math.log10(maxUs) * binsPerDecade) - first + 1;
  const counts = [0, 1, 2].map(() => new Array<number>(binCount).fill(0));
  for (let i = 0; i < data.length; i++) {
    const latencyUs = Math.max(1, data.completeUs[i] - data.invokeUs[i]);
    const bin = Math.min(binCount - 1, Math.floor(Math.log10(latencyUs) * binsPerDecade) - first);
    counts[data.outcomes[i]][bin]++;
  }
  const edgesMs = Array.from({ length: binCount + 1 }, (_, k) => roundMs(10 ** ((first + k) / binsPerDecade) / 1000));
  return {
    edgesMs,
    okCount: counts[Outcome.ok],
    failedCount: counts[Outcome.failed],
    indeterminateCount: counts[Outcome.indeterminate],
  };
}

/** Three significant digits: bin edges are labels, not measurements. */
function roundMs(ms: number): number {
  return Number(ms.toPrecision(3));
}
