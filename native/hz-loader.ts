/**
 * Typed access to the Hazelcast native load engine (native/hz-loader/), the only module that
 * loads build/Release/hz_loader.node. Its calls come back as the other loaders' do (LoaderCalls);
 * a failed call is a side whose `status` is its failure code (named by `failureNames`), whose
 * `flag` says it may have applied the increment, and whose bytes are the member's error answer
 * (errorAnswer), the entry's serialized value (notALong), or a one-line reason.
 */
import type { LoaderCalls, LoaderPlan } from './http-loader.js';
import { loadBuiltAddon } from './load-built-addon.js';
import type { FailureLoaderEnd } from './loader-engine.js';

export type HzFailure = 'errorAnswer' | 'lost' | 'connect' | 'noAnswer' | 'notALong' | 'gaveUp';
export type HzPatch = 'nextLong' | 'lastData' | 'keptFrame' | 'callLong' | 'freshUuid';
export type HzRead = 'nothing' | 'nextFromData' | 'longAt' | 'swapped' | 'nullData';

/**
 * One request of a method, encoded once by TS (counters/hazelcast/method-steps.ts). The loop writes
 * the correlation id and the patches into a copy per call, and reads its answer as `read` says.
 */
export interface HzStep {
  /** The whole message, frames and all. */
  request: Buffer;
  /**
   * Where the loop writes the value to set (big-endian long), the Data the last read returned, or
   * (keptFrame: at a frame's header) the content of the answer frame a keepFrame step kept; a
   * little-endian long of the attempt's own, unique in the loop (callLong: a CP lock's thread id);
   * 16 random bytes new for each request (freshUuid: a CP invocation UUID's two longs).
   */
  patches: Array<{ at: number; what: HzPatch }>;
  read: HzRead;
  /** longAt, swapped: the offset in the answer's first frame's content. */
  at: number;
  /** From this step on, a failure may have applied the increment. */
  writes: boolean;
  /** Only when the last nextFromData read found no entry (ifNull) or one (ifValue). */
  ifNull: boolean;
  ifValue: boolean;
  /**
   * A guarded step's failure (an error answer, the connection alive) runs the always steps after
   * it before the call fails with it: a `finally` (the map lock's unlock).
   */
  guarded: boolean;
  always: boolean;
  /**
   * Lost in flight, it may still take effect (a CP lock): it is sent again as it was on the next
   * connection, and the always steps run, before the client's next call.
   */
  resend: boolean;
  /** No answer within this long fails the call (Infinity: wait, as hazelcast-client's lock()). */
  timeoutMs: number;
  /** The answer frame (index) whose content the client keeps for a keptFrame patch; -1: none. */
  keepFrame: number;
  /**
   * A partition's operation: sent backup-aware while the client listens on its `backups`, so the
   * owner answers at once and the backup member acks to the client (as a smart client is served).
   */
  backupAware: boolean;
}

/** One client of the loop: its own connection, authentication and requests. */
export interface HzClient {
  /** The member it connects to: "ip:port", numeric. */
  address: string;
  /** "CP2" and the client's authentication request (its own client UUID). */
  hello: Buffer;
  steps: HzStep[];
  /**
   * The members it listens on for backup acks, as the same client: every member, `address`'s too
   * (a migration may move the partition's backup there); none when no step is backupAware.
   */
  backups: string[];
  /**
   * Where it connects, in turn, while `address` cannot be reached: members that forward its
   * requests; none to stay on `address` whatever happens.
   */
  failover: string[];
}

export interface HzLoaderConfig {
  clients: HzClient[];
  /** The authentication answer's status byte, in its first frame's content (0: authenticated). */
  authStatusAt: number;
  connectTimeoutMs: number;
  refusedPauseMs: number;
  /** A serialized Long's type id, as the client's serializer writes it. */
  longTypeId: number;
  retry: { maxRetries: number; baseMs: number; capMs: number };
  /** ClientLocalBackupListener's request, with correlation id 1: what a listener sends once authenticated. */
  listenRequest: Buffer;
  /** Where a backup event's first frame holds the correlation id of the request it acks. */
  ackCorrelationAt: number;
  /** How long an answer waits for its backup acks before it is taken as it is. */
  backupTimeoutMs: number;
}

export interface HzLoader {
  run(plan: LoaderPlan, done: (result: LoaderCalls & FailureLoaderEnd) => void): void;
  drain(): LoaderCalls;
  /** Closes the connections; throws while a run is in progress. */
  close(): void;
}

export interface HzLoaderModule {
  HzLoader: new (config: HzLoaderConfig) => HzLoader;
  /** The name of each side's `status` code, at its index. */
  failureNames: readonly HzFailure[];
}

/** The addon, or why it could not be loaded (one line, naming the fix). */
export function loadHzLoader(): HzLoaderModule | string {
  return loadBuiltAddon<HzLoaderModule>('hz_loader');
}
