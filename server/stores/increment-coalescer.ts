interface Waiter {
  resolve(value: number): void;
  reject(err: unknown): void;
}

/**
 * Batches increments for a remote counter whose one write costs a round trip and a durable
 * commit. While a write is in flight, new requests wait; when it completes, the next write
 * adds k at once and its result V hands the waiters the distinct values V-k+1 .. V. Each
 * caller is answered only after the write holding its increment committed: the commit lies
 * inside every batched request's interval, so the history stays linearizable.
 *
 * An idle coalescer writes at the end of the current event-loop turn (setImmediate runs right
 * after the I/O callbacks of this turn): requests that arrived together share the write, and
 * a lone request still goes out without waiting for a timer.
 */
export class IncrementCoalescer {
  private readonly waiting: Waiter[] = [];
  /** A write is in flight or about to start: new requests only queue. */
  private busy = false;

  /** `addAndGet(k)` must apply all k atomically and return the value after them. */
  constructor(
    private readonly addAndGet: (k: number) => Promise<number>,
    private readonly maxBatch: number,
  ) {}

  increment(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (!this.busy) {
        this.busy = true;
        setImmediate(this.writeNext);
      }
    });
  }

  private readonly writeNext = (): void => {
    if (this.waiting.length === 0) {
      this.busy = false;
      return;
    }
    const batch = this.waiting.splice(0, this.maxBatch);
    // Through a Promise executor, so even a write that throws synchronously fails its batch.
    new Promise<number>((resolve) => resolve(this.addAndGet(batch.length))).then(
      (last) => {
        // Start the next write first, so it leaves before this batch's answers are written: the
        // round trip and commit are the critical path, the answers can follow.
        this.writeNext();
        const first = last - batch.length + 1;
        for (let i = 0; i < batch.length; i++) batch[i].resolve(first + i);
      },
      (err: unknown) => {
        this.writeNext();
        // The statement failed as a whole: none of its increments is acknowledged, none counted twice.
        for (const waiter of batch) waiter.reject(err);
      },
    );
  };
}
