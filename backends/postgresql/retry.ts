import { type Env, readInteger } from '../env.js';
import type { RetryPolicy } from '../retry-backoff.js';

export type { RetryPolicy };

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = { maxRetries: 50, baseMs: 1, capMs: 100 };

/** PG_MAX_RETRIES, PG_RETRY_BASE_MS, PG_RETRY_CAP_MS (defaults: 50, 1, 100). */
export function readRetryPolicy(env: Env): RetryPolicy {
  const baseMs = readInteger(env, 'PG_RETRY_BASE_MS', DEFAULT_RETRY_POLICY.baseMs, 0, 60_000);
  return {
    maxRetries: readInteger(env, 'PG_MAX_RETRIES', DEFAULT_RETRY_POLICY.maxRetries, 0, 1_000_000),
    baseMs,
    capMs: readInteger(env, 'PG_RETRY_CAP_MS', Math.max(DEFAULT_RETRY_POLICY.capMs, baseMs), baseMs, 600_000),
  };
}
