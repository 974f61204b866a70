/**
 * Latencies counted on log-spaced bins, 32 per doubling: a fixed 3.5 kB whatever the number of
 * calls, and two of them merge by adding counts, so a time bucket can absorb its neighbour when
 * a long run coarsens its buckets. A percentile is its bin's geometric middle (kept within the
 * smallest and largest latency seen), so it lies within `percentileError` of the exact one.
 */

const binsPerOctave = 32;
/** Up to 2^28 µs (4.5 minutes); a longer latency counts in the last bin (the maximum stays exact). */
const binCount = 28 * binsPerOctave;

/** The largest relative distance of a percentile from the exact nearest-rank one: half a bin. */
export const percentileError = 2 ** (1 / (2 * binsPerOctave)) - 1;

export class LogHistogram {
  readonly #counts = new Uint32Array(binCount);
  #totalCount = 0;
  #minUs = Infinity;
  #maxUs = -Infinity;

  get totalCount(): number {
    return this.#totalCount;
  }

  add(latencyUs: number): void {
    const bin = latencyUs < 1 ? 0 : Math.min(binCount - 1, Math.floor(Math.log2(latencyUs) * binsPerOctave));
    this.#counts[bin]++;
    this.#totalCount++;
    if (latencyUs < this.#minUs) this.#minUs = latencyUs;
    if (latencyUs > this.#maxUs) this.#maxUs = latencyUs;
  }

  /** Adds `other`'s counts to this one's. */
  merge(other: LogHistogram): void {
    for (let bin = 0; bin < binCount; bin++) this.#counts[bin] += other.#counts[bin];
    this.#totalCount += other.#totalCount;
    this.#minUs = Math.min(this.#minUs, other.#minUs);
    this.#maxUs = Math.max(this.#maxUs, other.#maxUs);
  }

  /** The nearest-rank percentile (0 < fraction <= 1) in µs, the maximum exact; null when empty. */
  percentile(fraction: number): number | null {
    if (this.#totalCount === 0) return null;
    if (fraction >= 1) return this.#maxUs;
    const rank = Math.max(1, Math.ceil(fraction * this.#totalCount));
    let seen = 0;
    let bin = 0;
    for (; bin < binCount - 1; bin++) {
      seen += this.#counts[bin];
      if (seen >= rank) break;
    }
    const middleUs = 2 ** ((bin + 0.5) / binsPerOctave);
    return Math.min(this.#maxUs, Math.max(this.#minUs, middleUs));
  }
}
