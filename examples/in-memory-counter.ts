/**
 * A Counter of your own, for examples/custom-counter.ts: a number in this process, shared by
 * every client of this thread. With RACY=1, increment reads, yields, then writes: the lost
 * update the checker is there to catch.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Counter, CounterFactory } from '../counters/counter.js';

const racy = process.env.RACY === '1';
let value = 0;

class InMemoryCounter implements Counter {
  readonly retryCount = 0;

  async reset(): Promise<void> {
    value = 0;
  }

  async increment(): Promise<number> {
    if (!racy) return ++value;
    const seen = value;
    await nextTurn();
    value = seen + 1;
    return value;
  }

  async read(): Promise<number> {
    return value;
  }

  async close(): Promise<void> {}
}

export default function inMemoryCounterFactory(): CounterFactory {
  return {
    name: racy ? 'in-memory (racy)' : 'in-memory',
    promisesExact: true,
    linearizable: true,
    open: async () => new InMemoryCounter(),
    close: async () => {},
  };
}
