/**
 * Typed access to the PostgreSQL native load engine (native/pg-loader/), the only module that
 * loads build/Release/pg_loader.node. Its calls come back as the web loader's do (LoaderCalls);
 * a failed call is a side whose `status` is its failure code (named by `failureNames`), whose
 * `flag` says it may have committed, and whose bytes are "SQLSTATE\nmessage".
 */
import type { MethodSteps } from '../counters/postgresql/method-steps.js';
import type { LoaderCalls, LoaderPlan } from './http-loader.js';
import { loadBuiltAddon } from './load-built-addon.js';

export type PgFailure = 'statement' | 'gaveUp' | 'missingRow' | 'connect' | 'noAnswer';

export interface PgLoaderResult extends LoaderCalls {
  endUs: number;
  /** Retries of lost races over the run (every client's). */
  retryCount: number;
  loopTime: { cpuNs: number; waitNs: number };
  /** The loop itself failed (epoll). */
  error?: string;
}

export interface PgLoaderConfig {
  /** libpq's connection string (backends/postgresql/connection.ts conninfo). */
  conninfo: string;
  clientCount: number;
  /** libpq enforces connect_timeout only in its blocking connect: the loop enforces it itself. */
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  refusedPauseMs: number;
  userId: number;
  shards: number;
  retry: { maxRetries: number; baseMs: number; capMs: number };
  method: MethodSteps;
}

export interface PgLoader {
  run(plan: LoaderPlan, done: (result: PgLoaderResult) => void): void;
  drain(): LoaderCalls;
  /** Closes the connections; throws while a run is in progress. */
  close(): void;
}

export interface PgLoaderModule {
  PgLoader: new (config: PgLoaderConfig) => PgLoader;
  /** The name of each side's `status` code, at its index. */
  failureNames: readonly PgFailure[];
}

/** The addon, or why it could not be loaded (one line, naming the fix). */
export function loadPgLoader(): PgLoaderModule | string {
  return loadBuiltAddon<PgLoaderModule>('pg_loader');
}
