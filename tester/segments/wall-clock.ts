/**
 * The wall clock, which segments on different hosts share (as far as their clocks agree), tied to
 * the monotonic clock a run measures with: a run's calls are timed on the latter, and placed on
 * the former through the pair read at its origin.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { monotonicUs } from '../check/history.js';

/** Milliseconds since the epoch, to the microsecond. */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

/** A monotonic instant and the wall clock read beside it. */
export class WallOrigin {
  readonly originUs = monotonicUs();
  readonly originWallMs = wallMs();

  /** A monotonic instant on the wall clock. */
  wallMsAt(us: number): number {
    return this.originWallMs + (us - this.originUs) / 1000;
  }

  /** The monotonic instant of a wall-clock time. */
  usAt(wallMs: number): number {
    return this.originUs + (wallMs - this.originWallMs) * 1000;
  }

  /** Sleeps until the wall-clock time `atMs` (at once when it has passed). */
  async waitUntil(atMs: number): Promise<void> {
    const waitMs = (this.usAt(atMs) - monotonicUs()) / 1000;
    if (waitMs > 0) await sleep(waitMs);
  }
}
