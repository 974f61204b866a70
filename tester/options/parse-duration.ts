/** Microseconds per unit; `µs` is written with the micro sign or the Greek mu, which look alike. */
const UNIT_US: Record<string, number> = { us: 1, 'µs': 1, 'μs': 1, ms: 1000, s: 1e6, m: 60e6, h: 3600e6 };

/**
 * "30s", "2m", "500ms", "500us" (or "500µs", as wrk and vegeta write it), "1h" or a bare number
 * of seconds, in milliseconds; undefined when malformed.
 */
export function parseDurationMs(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(us|µs|μs|ms|s|m|h)?$/.exec(text.trim());
  if (!match) return undefined;
  // Scaled to microseconds first, then divided: 500us is exactly 0.5, not 0.5000000000000001.
  const value = (Number(match[1]) * UNIT_US[match[2] ?? 's']) / 1000;
  return value > 0 ? value : undefined;
}
