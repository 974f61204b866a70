/** How bench tables write numbers: counts with thousands separators, ratios, latencies in µs or ms, growth. */
export const formatInt = (n: number) => Math.round(n).toLocaleString('en-US');
export const formatRatio = (n: number | null | undefined) =>
  n === null || n === undefined ? '–' : `${n.toFixed(2)}x`;

export function formatLatency(us: number | undefined): string {
  if (us === undefined || Number.isNaN(us)) return '–';
  if (us >= 10_000) return `${(us / 1000).toFixed(0)} ms`;
  if (us >= 1000) return `${(us / 1000).toFixed(1)} ms`;
  return `${Math.round(us)} µs`;
}

/** A growth rate, signed: "+0.12 MB/min"; "not fitted" when there were too few samples. */
export const formatSlope = (mbPerMinute: number | null): string =>
  mbPerMinute === null ? 'not fitted' : `${mbPerMinute >= 0 ? '+' : ''}${mbPerMinute.toFixed(2)} MB/min`;
