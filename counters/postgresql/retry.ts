import { type Env, readInteger } from '../env.js';

/**
 * How a client retries an increment that lost a race (OCC version mismatch, SQLSTATE 40001/40P01).
 * Retries are bounded: after `maxRetries` retries the increment fails with kind 'conflict'.
 */
export interface RetryPolicy {
  /** Retries after the first attempt (so at most maxRetries + 1 attempts). */
  maxRetries: number;
  /** First backoff window in ms; it doubles per retry up to `capMs`. 0 retries at once. */
  baseMs: number;
  /** Largest backoff window in ms. */
  capMs: number;
}

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

/**
 * "Full jitter" exponential backoff: a uniform wait in [0, min(cap, base * 2^retry)).
 * Spreading the retries out keeps the losers of one race from colliding again in the next.
 * `retry` counts from 0 for the first retry.
 */
export function backoffDelayMs(policy: RetryPolicy, retry: number): number {
  const window = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(retry, 30));
  return Math.random() * window;
}

export function sleep(ms: number): Promise<void> {
  if (ms <= 0) return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => setTimeout(resolve, ms));
}
