/** The nearest-rank percentile of sorted values (0 < fraction <= 1); null when there are none. */
export function nearestRank(sorted: Float64Array, fraction: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))];
}
