import { type Env, readInteger } from './env.js';
import type { IntegerVar } from './env-vars.js';

/**
 * How a client retries an increment that lost a race (an OCC version mismatch, a
 * serialization failure, a replaceIfSame miss). Retries are bounded: after `maxRetries`
 * the increment fails with kind 'conflict'.
 */
export interface RetryPolicy {
  /** Retries after the first attempt (so at most maxRetries + 1 attempts). */
  maxRetries: number;
  /** First backoff window in ms; it doubles per retry up to `capMs`. 0 retries at once. */
  baseMs: number;
  /** Largest backoff window in ms. */
  capMs: number;
}

/**
 * "Full jitter" exponential backoff: a uniform wait in [0, min(cap, base * 2^retry)).
 * Spreading the retries out keeps the losers of one race from colliding again in the next.
 * `retry` counts from 0 for the first retry.
 */
export function backoffDelayMs(policy: RetryPolicy, retry: number): number {
  return Math.random() * Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(retry, 30));
}

export function sleep(ms: number): Promise<void> {
  if (ms < 1) return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The three variables of one backend's policy, e.g. PG_MAX_RETRIES, PG_RETRY_BASE_MS, PG_RETRY_CAP_MS. */
export interface RetryVars {
  maxRetries: IntegerVar;
  baseMs: IntegerVar;
  capMs: IntegerVar;
}

/** The one reader of PG_* and HZ_* retry settings; the cap is at least the base. */
export function readRetryPolicy(env: Env, vars: RetryVars): RetryPolicy {
  const baseMs = readInteger(env, vars.baseMs);
  return {
    maxRetries: readInteger(env, vars.maxRetries),
    baseMs,
    capMs: readInteger(env, vars.capMs, Math.max(vars.capMs.fallback, baseMs), baseMs),
  };
}
