/**
 * What the HTTP layer knows of storage. Local stores answer synchronously (a number), so
 * their hot path allocates no promise; remote stores answer with a promise.
 */
export interface Store {
  /** Adds one and returns the value after this increment: distinct for every call. */
  increment(): number | Promise<number>;
  read(): number | Promise<number>;
  reset(): void | Promise<void>;
  close(): void | Promise<void>;
  /** Shown by GET /health, e.g. "shared_memory (flock)". */
  readonly description: string;
}
