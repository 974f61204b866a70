import type { FileCounter, SharedCounter } from '../../native/addon.js';
import type { Store } from './store.js';
import { LockQueue } from './lock-queue.js';

/**
 * A store over one of the addon's counters. They answer synchronously: the HTTP layer
 * writes the answer at once, with no promise on the hot path. Only when another process
 * holds a file's lock does the answer become a promise (see LockQueue).
 */
export class NativeCounterStore implements Store {
  // Bound once, so a request allocates no closure.
  private readonly incrementOnce = () => this.counter.increment();
  private readonly readOnce = () => this.counter.read();
  private readonly resetOnce = () => this.counter.reset();
  // Reads take a shared lock: they need not wait behind increments for a reader's lock to go.
  private readonly writers: LockQueue;
  private readonly readers: LockQueue;

  constructor(
    private readonly counter: SharedCounter | FileCounter,
    readonly description: string,
  ) {
    this.writers = new LockQueue(description);
    this.readers = new LockQueue(description);
  }

  increment(): number | Promise<number> {
    return this.writers.run(this.incrementOnce);
  }

  read(): number | Promise<number> {
    return this.readers.run(this.readOnce);
  }

  reset(): void | Promise<void> {
    return this.writers.run(this.resetOnce);
  }

  close(): void {
    this.counter.close();
  }
}
