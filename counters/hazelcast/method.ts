import { parseChoice } from '../../backends/env.js';
import type { HazelcastSession } from '../../backends/hazelcast/session.js';

/**
 * How the Hazelcast counter increments:
 * - `no_lock`: map get, +1, set. Clients overwrite each other: loses updates.
 * - `pessimistic`: IMap.lock(key) around get/set. The lock belongs to the client instance.
 * - `optimistic`: get, then replaceIfSame(old, old+1); retried with jittered backoff.
 * - `atomic`: CP Subsystem IAtomicLong.incrementAndGet (Raft, linearizable).
 * - `fenced_lock`: CP Subsystem FencedLock around get/set on the map entry.
 * - `pn_counter`: CRDT PNCounter.incrementAndGet: fast and never loses an increment, but
 *   eventually consistent: replicas answer with their own view, so values repeat across clients.
 */
export const HAZELCAST_METHODS = [
  'no_lock',
  'pessimistic',
  'optimistic',
  'atomic',
  'fenced_lock',
  'pn_counter',
] as const;
export type HazelcastMethod = (typeof HAZELCAST_METHODS)[number];
export const DEFAULT_HAZELCAST_METHOD: HazelcastMethod = 'pessimistic';

export function isHazelcastMethod(value: string): value is HazelcastMethod {
  return (HAZELCAST_METHODS as readonly string[]).includes(value);
}

export function parseHazelcastMethod(value: string): HazelcastMethod {
  return parseChoice(value, HAZELCAST_METHODS, `Hazelcast method ${JSON.stringify(value)}`);
}

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
