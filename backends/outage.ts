/**
 * Pause after the nth failed connect in a row: doubling from 50 ms up to 1 s, so an outage
 * costs a worker at most about one connect a second, and a returning backend is noticed within
 * about a second. Half of it is random, so the workers do not all knock at once.
 */
function reconnectDelayMs(failureCount: number): number {
  const windowMs = Math.min(1000, 50 * 2 ** Math.min(failureCount - 1, 10));
  return windowMs / 2 + (Math.random() * windowMs) / 2;
}

/**
 * A backend that cannot be reached: the error requests get at once while it lasts, and when the
 * next connect may be tried. Remote stores keep one from a failed connect until one succeeds.
 */
export class Outage {
  private failureCount = 0;
  private retryAtMs = 0;
  error: unknown;

  /** Notes another failed connect, and pushes the next try back. */
  failed(err: unknown): void {
    this.error = err;
    this.failureCount++;
    this.retryAtMs = Date.now() + reconnectDelayMs(this.failureCount);
  }

  get retryDue(): boolean {
    return Date.now() >= this.retryAtMs;
  }
}
