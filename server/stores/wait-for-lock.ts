import { setTimeout as sleep } from 'node:timers/promises';

/** Longest a request waits for a counter file's lock before it is answered 503. */
export const LOCK_TIMEOUT_MS = 1000;
const MAX_RETRY_DELAY_MS = 50;

/** The lock was still held by another process when the request's wait ran out. */
export class LockTimeoutError extends Error {
  readonly code = 'ELOCKTIMEOUT';
}

/** The addon gave up after its short spin: another process holds the lock. */
export function isLockBusy(err: unknown): boolean {
  const { code, syscall } = err as NodeJS.ErrnoException;
  return code === 'EAGAIN' && syscall === 'flock';
}

/**
 * Runs `attempt` at once. While another process holds the lock, tries again on timers, so
 * the event loop (other requests, GET /health) keeps going, and gives up after `timeoutMs`.
 */
export function waitForLock<T>(attempt: () => T, what: string, timeoutMs = LOCK_TIMEOUT_MS): T | Promise<T> {
  try {
    return attempt();
  } catch (err) {
    if (!isLockBusy(err)) throw err;
    return retry(attempt, what, timeoutMs);
  }
}

async function retry<T>(attempt: () => T, what: string, timeoutMs: number): Promise<T> {
  const deadlineMs = performance.now() + timeoutMs;
  for (let delayMs = 1; ; delayMs = Math.min(delayMs * 2, MAX_RETRY_DELAY_MS)) {
    await sleep(Math.max(0, Math.min(delayMs, deadlineMs - performance.now())));
    try {
      return attempt();
    } catch (err) {
      if (!isLockBusy(err)) throw err;
      if (performance.now() >= deadlineMs) {
        const message = `${what}: lock held by another process for over ${timeoutMs} ms`;
        throw new LockTimeoutError(message, { cause: err });
      }
    }
  }
}
