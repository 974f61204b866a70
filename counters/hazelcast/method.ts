import type { HazelcastSession } from '../../backends/hazelcast/session.js';

/** What one simulated client does for a method; errors are mapped by the caller. */
export interface MethodOps {
  /** Adds one; resolves to the value after this increment. */
  increment(): Promise<number>;
  reset(): Promise<void>;
  read(): Promise<number>;
  /**
   * Fetches the proxies the method needs (so configuration problems such as a cluster without
   * CP surface when a client opens, and one-time costs stay out of the measured increments).
   */
  prepare(): Promise<void>;
}

export interface MethodContext {
  session: HazelcastSession;
  /** Called once per retry (optimistic conflicts); feeds Counter.retryCount. */
  onRetry(): void;
}
