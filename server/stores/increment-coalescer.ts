/**
 * Batches increments for a remote counter whose one write costs a round trip and a durable
 * commit. While a write is in flight, new requests wait; when it completes, the next write
 * adds k at once and its result V hands the waiters the distinct values V-k+1 .. V. A lone
 * request goes out at once, so an idle server adds no latency, and each caller is answered
 * only after the write holding its increment committed: the commit lies inside every batched
 * request's interval, so the history stays linearizable.
 */
export class IncrementCoalescer {
  private waiting: Array<{ resolve(value: number): void; reject(err: unknown): void }> = [];
  private inFlight = false;

  /** `addAndGet(k)` must apply all k atomically and return the value after them. */
  constructor(
    private readonly addAndGet: (k: number) => Promise<number>,
    private readonly maxBatch: number,
  ) {}

  increment(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (!this.inFlight) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.inFlight = true;
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.maxBatch);
      try {
        const last = await this.addAndGet(batch.length);
        batch.forEach((waiter, i) => waiter.resolve(last - batch.length + 1 + i));
      } catch (err) {
        // The statement failed as a whole: none of its increments is acknowledged, none counted twice.
        for (const waiter of batch) waiter.reject(err);
      }
    }
    this.inFlight = false;
  }
}
