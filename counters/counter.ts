
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
  /**
   * Optional: an engine that makes the increments of `clientCount` clients itself, off the JS
   * event loop (the web counter's native loop). The load runner uses it when offered; each of
   * its clients still makes one call at a time, as a `Counter` would.
   */
  openEngine?(clientCount: number): Promise<IncrementEngine>;
  /**
   * Optional: the backend's clock, read once, for placing the histories of a run's segments
   * (--segment i/n, on several hosts) on one clock.
   */
  readClock?(): Promise<TargetClock>;
  /** Releases anything shared between clients (pools, cached proxies). */
  close(): Promise<void>;
}

/** A reading of the backend's clock: at some moment of the call it stood in [atUs, atUs + resolutionUs). */
export interface TargetClock {
  /** Unix epoch microseconds. */
  atUs: number;
  resolutionUs: number;
  /** What was read, for the verdict: "the server's Date header". */
  against: string;
}

/**
 * How long a client waits after a refused call before its next one: a server that is down refuses
 * at once, and without a pause a timed run would spin through millions of refusals. The JS client
 * loop (tester/load/client-loop.ts) and the native engine's loop (handed it by
 * counters/web/native-engine.ts) both pause this long.
 */
export const REFUSED_PAUSE_MS = 20;

/** When an engine's calls run: the tester's CallPlan. */
export interface EnginePlan {
  startUs: number;
  /** Monotonic microseconds after which no new call starts. */
  deadlineUs?: number;
  callsPerClient?: number;
  /** Open loop: each client's share of the calls is due every `intervalUs`. */
  intervalUs?: number;
}

/** Calls of an engine's run, in the order they ended, as columns. */
export interface EngineCalls {
  length: number;
  /** The client that made the call, 0 for the group's first. */
  clientIndex: Uint32Array;
  /** Times on monotonicUs()'s clock: when the call was due (open loop: its schedule), sent, ended. */
  dueUs: Float64Array;
  invokeUs: Float64Array;
  completeUs: Float64Array;
  /** The count the call returned; NaN when none or when it failed. */
  values: Float64Array;
  /** The error of each call that failed, by its index (a CounterError, or what a JS client would have thrown). */
  errors: Map<number, Error>;
  /**
   * Every call invoked before this time (same clock) has ended and is in these calls or in ones
   * drained before: the oldest invoke still in flight, else when they were taken.
   */
  watermarkUs: number;
}

/** The calls of a run that no drain took, and how the run went. */
export interface EngineRunEnd extends EngineCalls {
  /** When the last call ended, on the same clock. */
  endUs: number;
  /** The engine's own thread over the run, on a CPU and waiting for one (ns), when it has one. */
  loopTime?: { cpuNs: number; waitNs: number };
  /** Retries its clients made over the run (lost races), when it retries. */
  retryCount?: number;
}

/**
 * A group of clients run by the backend's own engine. Its calls are taken while it runs, so that
 * it keeps none of a long run's calls.
 */
export interface IncrementEngine {
  /** Resolves when every call has ended, with the calls no drain took. */
  run(plan: EnginePlan): Promise<EngineRunEnd>;
  /** The calls ended since the run began or since the last drain; the engine keeps none of them. */
  drain(): EngineCalls;
  close(): Promise<void>;
}
