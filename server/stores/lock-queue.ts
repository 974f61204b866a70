/** Longest a request waits for a counter file's lock before it is answered 503. */
export const LOCK_TIMEOUT_MS = 1000;
// Short: our own workers take turns holding the lock (an fdatasync each with DISK_FSYNC), and the
// oldest waiter must find it free between them. Measured with 4 workers, DISK_FSYNC and 64 clients
// on a loaded host: 50 ms left gaps nobody tried in (fewer RPS, 503s); 4 ms does not.
const MAX_RETRY_DELAY_MS = 4;

/** The lock was still held by another process when the request's wait ran out. */
export class LockTimeoutError extends Error {
  readonly code = 'ELOCKTIMEOUT';
}

/** The addon gave up after its short spin: another process holds the lock. */
export function isLockBusy(err: unknown): boolean {
  const { code, syscall } = err as NodeJS.ErrnoException;
  return code === 'EAGAIN' && syscall === 'flock';
}

interface Waiter {
  attempt: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
  deadlineMs: number;
}

/**
 * The calls on one counter file that wait while another process holds its lock. Only the
 * oldest tries again, on timers: each try spins in the addon for up to 1 ms, so one try per
 * waiting request would keep the event loop (and GET /health) busy once hundreds wait. The
 * others follow in arrival order as soon as it gets through, or fail after `timeoutMs`.
 */
export class LockQueue {
  private readonly waiting: Waiter[] = [];
  private delayMs = 1;

  constructor(
    private readonly what: string,
    private readonly timeoutMs = LOCK_TIMEOUT_MS,
  ) {}

  run<T>(attempt: () => T): T | Promise<T> {
    // Behind others already waiting, a try would spin in vain and overtake them.
    if (this.waiting.length === 0) {
      try {
        return attempt();
      } catch (err) {
        if (!isLockBusy(err)) throw err;
      }
    }
    return new Promise<T>((resolve, reject) => {
      const deadlineMs = performance.now() + this.timeoutMs;
      this.waiting.push({ attempt, resolve: resolve as (value: unknown) => void, reject, deadlineMs });
      if (this.waiting.length === 1) this.retryLater();
    });
  }

  private readonly retry = () => {
    for (let head = this.waiting[0]; head; head = this.waiting[0]) {
      try {
        head.resolve(head.attempt());
      } catch (err) {
        if (isLockBusy(err)) return this.retryLater();
        head.reject(err);
      }
      this.waiting.shift();
      this.delayMs = 1;
    }
  };

  private retryLater(): void {
    const now = performance.now();
    while (this.waiting.length > 0 && this.waiting[0].deadlineMs <= now) {
      const message = `${this.what}: lock held by another process for over ${this.timeoutMs} ms`;
      this.waiting.shift()!.reject(new LockTimeoutError(message));
    }
    if (this.waiting.length === 0) return;
    setTimeout(this.retry, Math.min(this.delayMs, this.waiting[0].deadlineMs - now));
    this.delayMs = Math.min(this.delayMs * 2, MAX_RETRY_DELAY_MS);
  }
}
