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

/** A store whose every write costs a round trip: k increments go out in one write. */
export interface RemoteStore extends Store {
  increment(): Promise<number>;
  /** Adds k atomically and returns the value after them. */
  add(k: number): Promise<number>;
  read(): Promise<number>;
  reset(): Promise<void>;
}
