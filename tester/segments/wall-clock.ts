/**
 * The wall clock, which segments on different hosts share (as far as their clocks agree), tied to
 * the monotonic clock a run measures with: a run's calls are timed on the latter, and placed on
 * the former through the pair read at its origin.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { monotonicUs } from '../check/history.js';

/**
 * Milliseconds since the epoch, to a few microseconds: the monotonic clock from where it stood
 * when Date.now() turned over to a new millisecond. Not performance.timeOrigin + now(): Node takes
 * its origin's wall time apart from its monotonic one, and the two disagree by 1 to 10 ms, more
 * on a busy host, differently in every process (two segments on one host 10 ms apart).
 */
export function wallMs(): number {
  return wallMsAt(monotonicUs());
}

/** The wall clock at a monotonic instant. */
function wallMsAt(us: number): number {
  calibration ??= calibrate();
  return calibration.wallMs + (us - calibration.monotonicUs) / 1000;
}

let calibration: { wallMs: number; monotonicUs: number } | undefined;

/** The narrowest of a few turns of the millisecond, each pinned between two monotonic readings. */
function calibrate(): { wallMs: number; monotonicUs: number } {
  let best: { wallMs: number; beforeUs: number; afterUs: number } | undefined;
  for (let n = 0; n < 5; n++) {
    const first = Date.now();
    let [beforeUs, now, afterUs] = [monotonicUs(), first, monotonicUs()];
    while (now === first) [beforeUs, now, afterUs] = [afterUs, Date.now(), monotonicUs()];
    if (!best || afterUs - beforeUs < best.afterUs - best.beforeUs) best = { wallMs: now, beforeUs, afterUs };
  }
  return { wallMs: best!.wallMs, monotonicUs: (best!.beforeUs + best!.afterUs) / 2 };
}

/** A monotonic instant and the wall clock read beside it. */
export class WallOrigin {
  readonly originUs = monotonicUs();
  // At the origin itself, not when a first call to wallMs() is done calibrating.
  readonly originWallMs = wallMsAt(this.originUs);

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
