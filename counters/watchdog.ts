/**
 * One coarse timer per connection rather than one per request: the hot path only stamps when
 * its request left. `sentAt()` returns that stamp (performance.now(), monotonic, so a wall-clock
 * step cannot fail every connection at once) or 0 when nothing is in flight.
 */
export function startWatchdog(timeoutMs: number, sentAt: () => number, onTimeout: () => void): NodeJS.Timeout {
  return setInterval(() => {
    const since = sentAt();
    if (since !== 0 && performance.now() - since > timeoutMs) onTimeout();
  }, Math.max(10, Math.min(1000, timeoutMs / 4))).unref();
}
