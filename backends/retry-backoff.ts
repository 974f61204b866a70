import { setImmediate, setTimeout as sleep } from 'node:timers/promises';
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
function backoffDelayMs(policy: RetryPolicy, retry: number): number {
  return Math.random() * Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(retry, 30));
}

/** What an attempt that lost a race returns: nothing was applied, so it may run again. */
export class LostRace {
  constructor(
    /** The loss in a few words, for the message once retries run out. */
    readonly why: string,
    /** The error that told of the loss, if one did (a serialization failure). */
    readonly cause?: unknown,
  ) {}
}

/** How one client retries its lost races. */
export interface RaceRetries {
  policy: RetryPolicy;
  /** Called before each retry (the client counts them). */
  onRetry(): void;
  /** The error to fail with once `policy.maxRetries` retries were lost too. */
  giveUp(lost: LostRace): Error;
}

/**
 * The one retry loop of the backends' increments: runs `attempt` until it returns something
 * other than a LostRace, waiting a full-jitter backoff before each retry, at most
 * policy.maxRetries times; then throws retries.giveUp(the last loss). What `attempt` throws
 * passes through: only a lost race is retried.
 */
export async function retryLostRaces<T>(retries: RaceRetries, attempt: () => Promise<T | LostRace>): Promise<T> {
  for (let retry = 0; ; retry++) {
    const outcome = await attempt();
    if (!(outcome instanceof LostRace)) return outcome;
    if (retry >= retries.policy.maxRetries) throw retries.giveUp(outcome);
    retries.onRetry();
    const delayMs = backoffDelayMs(retries.policy, retry);
    // A timer waits at least 1 ms: a window under that (base 0, or the first retry's) yields one turn.
    await (delayMs < 1 ? setImmediate() : sleep(delayMs));
  }
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
