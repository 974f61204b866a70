/**
 * Latencies on log-spaced bins, ten per decade, spanning only the decades the run touched:
 * a long tail stays visible next to the bulk, and the page holds a few dozen numbers. The
 * counts are exact and fixed in size (bins from 1 µs to 10^10 µs), so calls can stream in.
 */
import { Outcome } from '../check/history.js';
import type { LatencyHistogram } from './report-shapes.js';

const binsPerDecade = 10;
const binCount = 10 * binsPerDecade;

export class LatencyHistogramRecorder {
  readonly #counts = [0, 1, 2].map(() => new Float64Array(binCount));
  #firstBin = binCount;
  #lastBin = -1;

  add(latencyUs: number, outcome: Outcome): void {
    const bin = Math.min(binCount - 1, Math.floor(Math.log10(Math.max(1, latencyUs)) * binsPerDecade));
    this.#counts[outcome][bin]++;
    if (bin < this.#firstBin) this.#firstBin = bin;
    if (bin > this.#lastBin) this.#lastBin = bin;
  }

  histogram(): LatencyHistogram {
    if (this.#lastBin < 0) return { edgesMs: [], okCount: [], failedCount: [], indeterminateCount: [] };
    const [first, last] = [this.#firstBin, this.#lastBin];
    const edgesMs = Array.from({ length: last - first + 2 }, (_, k) =>
      roundMs(10 ** ((first + k) / binsPerDecade) / 1000),
    );
    const counts = (outcome: Outcome) => Array.from(this.#counts[outcome].subarray(first, last + 1));
    return {
      edgesMs,
      okCount: counts(Outcome.ok),
      failedCount: counts(Outcome.failed),
      indeterminateCount: counts(Outcome.indeterminate),
    };
  }
}

/** Three significant digits: bin edges are labels, not measurements. */
function roundMs(ms: number): number {
  return Number(ms.toPrecision(3));
}
