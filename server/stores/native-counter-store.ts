import type { FileCounter, SharedCounter } from '../../native/addon.js';
import type { Store } from './store.js';

/**
 * A store over one of the addon's counters. They answer synchronously: the HTTP layer
 * writes the answer at once, with no promise on the hot path.
 */
export class NativeCounterStore implements Store {
  constructor(
    private readonly counter: SharedCounter | FileCounter,
    readonly description: string,
  ) {}

  increment(): number {
    return this.counter.increment();
  }

  read(): number {
    return this.counter.read();
  }

  reset(): void {
    this.counter.reset();
  }

  close(): void {
    this.counter.close();
  }
}
