/**
 * Typed access to the web counter's native load engine (native/http-loader/), the only
 * module that loads build/Release/http_loader.node. Loading is a function, not an import side
 * effect: the web counter falls back to its JS client, with a note, when the build is missing.
 */
import { loadBuiltAddon } from './load-built-addon.js';

export interface LoaderTarget {
  /** "localhost:8080": how errors name the target. */
  name: string;
  /** The IP address to connect to, and its port. */
  address: string;
  port: number;
  /** The increment request, sent as is on every call. */
  request: Buffer;
}

/**
 * Raw columns of calls, one entry per call in the order they ended. A call not in `sides` was our
 * own answer, read by the loop (its value is in `values`); JS settles every other call from its side.
 */
export interface LoaderCalls {
  clientIndex: Uint32Array;
  dueUs: Float64Array;
  invokeUs: Float64Array;
  completeUs: Float64Array;
  values: Float64Array;
  sides: LoaderSides;
  /**
   * Every call invoked before this time (monotonic microseconds) has ended and is in these
   * columns or in ones taken before: the oldest invoke still in flight, else when they were taken.
   */
  watermarkUs: number;
}

/** The calls a run's drains had not taken, and how the run ended. */
export interface LoaderResult extends LoaderCalls {
  /** When the loop ended (monotonic microseconds). */
  endUs: number;
  /** The loop thread's own time, on a CPU and waiting for one (ns; NaN where the kernel keeps no schedstat). */
  loopTime: { cpuNs: number; waitNs: number };
  /** The loop itself failed (epoll): the calls recorded since the last drain are still here. */
  error?: string;
}

/**
 * The calls the loop did not settle, as columns; side k's call is `index[k]`, its bytes are
 * `bytes` from `end[k - 1]` (0 for the first) to `end[k]`. `type` and `kind` are codes, named by
 * the module's `sideTypes` and `errorKinds`. `answer`: a framed answer other than our own (its
 * body; `flag`: keep-alive). `error`: a failed call (`kind`; the bytes are its message).
 * `unframed`: bytes the framing refused (`flag`: the server had closed).
 */
export interface LoaderSides {
  index: Uint32Array;
  target: Uint32Array;
  end: Uint32Array;
  status: Uint16Array;
  type: Uint8Array;
  flag: Uint8Array;
  kind: Uint8Array;
  bytes: Buffer;
}

export interface LoaderPlan {
  startUs: number;
  deadlineUs?: number;
  callsPerClient?: number;
  intervalUs?: number;
}

export interface HttpLoader {
  /** Runs the plan on its own thread; `done` is called on this thread when every call has ended. */
  run(plan: LoaderPlan, done: (result: LoaderResult) => void): void;
  /** The calls ended since the run began or since the last drain, taken while it runs: the loop keeps none. */
  drain(): LoaderCalls;
  /** Closes the connections; throws while a run is in progress. */
  close(): void;
}

/**
 * What the loop shares with the JS client. Each value is passed in, none is written into the C++,
 * so each has one home on the TS side and the two clients cannot drift apart.
 */
export interface LoaderRules {
  /** A call unanswered this long fails. */
  timeoutMs: number;
  /** After a refused connect, a client waits this long before its next call. */
  refusedPauseMs: number;
  /** A longer response head (or chunked trailer) is refused, not buffered. */
  maxHeadBytes: number;
  /** A longer response body is refused. */
  maxBodyBytes: number;
  /**
   * The one answer the loop reads itself: `prefix`, 1 to `maxDigits` (at most 15) digits,
   * `suffix`, with a 2xx status. Null: every answer goes to JS.
   */
  ownAnswer: { prefix: string; maxDigits: number; suffix: string } | null;
}

export interface HttpLoaderConstructor {
  /** Clients are spread over the targets round-robin. */
  new (config: { targets: LoaderTarget[]; clientCount: number } & LoaderRules): HttpLoader;
}

export type SideType = 'answer' | 'error' | 'unframed';

/**
 * The addon. The side codes' names come from the addon itself (load-loop.h holds the enums and
 * their names together), so no code's number is written in TS.
 */
export interface HttpLoaderModule {
  HttpLoader: HttpLoaderConstructor;
  /** The name of each `LoaderSides.type` code, at its index. */
  sideTypes: readonly SideType[];
  /** The name of each `LoaderSides.kind` code (an ErrorKind), at its index; undefined for none. */
  errorKinds: readonly (string | undefined)[];
}

/** The addon, or why it could not be loaded (one line, naming the fix). */
export function loadHttpLoader(): HttpLoaderModule | string {
  return loadBuiltAddon<HttpLoaderModule>('http_loader');
}
