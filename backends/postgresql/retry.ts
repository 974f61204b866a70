import type { Env } from '../env.js';
import { POSTGRES_VARS } from '../env-vars.js';
import { readRetryPolicy as readPolicy, type RetryPolicy } from '../retry-backoff.js';

export type { RetryPolicy };

const RETRY_VARS = {
  maxRetries: POSTGRES_VARS.PG_MAX_RETRIES,
  baseMs: POSTGRES_VARS.PG_RETRY_BASE_MS,
  capMs: POSTGRES_VARS.PG_RETRY_CAP_MS,
};

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = readPolicy({}, RETRY_VARS);

/** PG_MAX_RETRIES, PG_RETRY_BASE_MS, PG_RETRY_CAP_MS. */
export function readRetryPolicy(env: Env): RetryPolicy {
  return readPolicy(env, RETRY_VARS);
}
