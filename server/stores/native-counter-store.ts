import type { FileCounter, SharedCounter } from '../../native/addon.js';
import type { Store } from './store.js';
import { waitForLock } from './wait-for-lock.js';

/**
 * A store over one of the addon's counters. They answer synchronously: the HTTP layer
 * writes the answer at once, with no promise on the hot path. Only when another process
 * holds a file's lock does the answer become a promise (see waitForLock).
 */
export class NativeCounterStore implements Store {
  // Bound once, so a request allocates no closure.
  private readonly incrementOnce = () => this.counter.increment();
  private readonly readOnce = () => this.counter.read();
  private readonly resetOnce = () => this.counter.reset();

  constructor(
    private readonly counter: SharedCounter | FileCounter,
    readonly description: string,
  ) {}

  increment(): number | Promise<number> {
    return waitForLock(this.incrementOnce, this.description);
  }

  read(): number | Promise<number> {
    return waitForLock(this.readOnce, this.description);
  }

  reset(): void | Promise<void> {
    return waitForLock(this.resetOnce, this.description);
  }

  close(): void {
    this.counter.close();
  }
}
