/** "30s", "2m", "500ms", "1h" or a bare number of seconds, in milliseconds; undefined when malformed. */
export function parseDurationMs(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) return undefined;
  const scale = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 's'] ?? 1000;
  const value = Number(match[1]) * scale;
  return value > 0 ? value : undefined;
}
