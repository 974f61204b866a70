export { CounterError, type ErrorKind } from '../backends/counter-error.js';

/**
 * The one interface the tester drives. A `Counter` is one simulated client's handle on a
 * backend: it owns that client's connection, so concurrency between clients is real.
 */
export interface Counter {
  /** Sets the shared counter to 0. */
  reset(): Promise<void>;
  /**
   * Adds one. Resolves to the value after this increment when the backend reports it
   * (the checker uses it), or undefined when the method cannot know it.
   * Rejects with a `CounterError` when the increment was not applied or its fate is unknown.
   */
  increment(): Promise<number | undefined>;
  /** The current value. */
  read(): Promise<number>;
  /** Retries this client has made so far (conflicts, serialization failures). */
  readonly retryCount: number;
  close(): Promise<void>;
}

/** A backend and method the tester can open clients on. */
export interface CounterFactory {
  /** e.g. "web", "postgresql/inplace_update", "hazelcast/atomic". */
  readonly name: string;
  /**
   * True when the method promises exact counts (no lost updates).
   * Unsafe methods (lost_update, no_lock) are expected to lose updates.
   */
  readonly promisesExact: boolean;
  /** True when increments return values that must be unique and in real-time order. */
  readonly linearizable: boolean;
  /** Opens one client. Connection failures reject with a one-line, user-facing message. */
  open(): Promise<Counter>;
  /** Releases anything shared between clients (pools, cached proxies). */
  close(): Promise<void>;
}
