interface Waiter {
  /** Increments this caller adds, counted as one indivisible part of a write. */
  count: number;
  /** Gets the value after the caller's last increment. */
  resolve(last: number): void;
  reject(err: unknown): void;
}

/**
 * Batches increments for a counter whose one write costs a round trip (and, for a database, a
 * durable commit). Requests that arrive while `maxInFlight` writes are in flight wait; when a
 * write completes, the next one adds k at once and its result V hands the waiters the distinct
 * values V-k+1 .. V. Each caller is answered only after the write holding its increment
 * committed: the commit lies inside every batched request's interval, so the history stays
 * linearizable.
 *
 * An idle coalescer writes at the end of the current event-loop turn (setImmediate runs right
 * after the I/O callbacks of this turn): requests that arrived together share the write, and
 * a lone request still goes out without waiting for a timer.
 *
 * It serves two roles: the writer's, one write in flight to the store (the next batch grows
 * while it waits); and a worker's hand-off to the writer, where a write is a message and need
 * not wait for the previous answer (maxInFlight Infinity), so it only joins each turn's requests.
 */
export class IncrementCoalescer {
  private readonly waiting: Waiter[] = [];
  private inFlightCount = 0;
  private scheduled = false;

  /** `addAndGet(k)` must apply all k atomically and return the value after them. */
  constructor(
    private readonly addAndGet: (k: number) => Promise<number>,
    private readonly maxBatch: number,
    private readonly maxInFlight = 1,
  ) {}

  increment(): Promise<number> {
    return this.add(1);
  }

  /** Adds `count` (at most maxBatch) in one write; resolves with the value after the last of them. */
  add(count: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ count, resolve, reject });
      if (!this.scheduled && this.inFlightCount < this.maxInFlight) {
        this.scheduled = true;
        setImmediate(this.writeWaiting);
      }
    });
  }

  private readonly writeWaiting = (): void => {
    this.scheduled = false;
    while (this.waiting.length > 0 && this.inFlightCount < this.maxInFlight) this.write(this.takeBatch());
  };

  /** The oldest waiters whose counts fit in maxBatch (at least one). */
  private takeBatch(): Waiter[] {
    let total = 0;
    let taken = 0;
    while (taken < this.waiting.length && (taken === 0 || total + this.waiting[taken].count <= this.maxBatch)) {
      total += this.waiting[taken++].count;
    }
    return this.waiting.splice(0, taken);
  }

  private write(batch: Waiter[]): void {
    let total = 0;
    for (const waiter of batch) total += waiter.count;
    this.inFlightCount++;
    // Through a Promise executor, so even a write that throws synchronously fails its batch.
    new Promise<number>((resolve) => resolve(this.addAndGet(total))).then(
      (last) => {
        // Start the next write first, so it leaves before this batch's answers are written: the
        // round trip and commit are the critical path, the answers can follow.
        this.inFlightCount--;
        this.writeWaiting();
        let end = last - total;
        for (const waiter of batch) waiter.resolve((end += waiter.count));
      },
      (err: unknown) => {
        this.inFlightCount--;
        this.writeWaiting();
        // The statement failed as a whole: none of its increments is acknowledged, none counted twice.
        for (const waiter of batch) waiter.reject(err);
      },
    );
  }
}
