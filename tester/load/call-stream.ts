/**
 * A run's calls leave its client groups while it runs: each group hands on the calls that ended
 * about every DELIVERY_INTERVAL_MS (sooner once DELIVERY_MAX_CALLS wait) and keeps none, so that
 * its memory does not grow with the run. A watermark with each delivery tells the receiver which
 * calls can no longer arrive: those invoked before it.
 */
import type { HistoryData } from '../check/history.js';

/**
 * Receives calls as they end: `calls` ended since the previous delivery (each client's in its own
 * order); every call invoked before `watermarkUs` (monotonicUs clock) has been delivered, in this
 * delivery or an earlier one; +Infinity on the last. The arrays are the receiver's: nothing writes
 * to them afterwards, and no one else keeps them.
 */
export type OnCalls = (calls: HistoryData, watermarkUs: number) => void;

export const DELIVERY_INTERVAL_MS = 100;
/** A client loop that never yields to the timer (a Counter resolving at once) still delivers. */
export const DELIVERY_MAX_CALLS = 1 << 15;

/** Runs `run`, calling `deliver` every DELIVERY_INTERVAL_MS until it settles. */
export async function deliveringWhile<T>(run: () => Promise<T>, deliver: () => void): Promise<T> {
  const timer = setInterval(deliver, DELIVERY_INTERVAL_MS);
  try {
    return await run();
  } finally {
    clearInterval(timer);
  }
}

/**
 * One stream of a run's calls out of its groups' streams, one per group. Each delivery is passed
 * on at once with the watermark of the whole run: the lowest of the groups' latest, since a group
 * knows nothing of the others' calls. No call is invoked before the run's start, `startUs`.
 */
export function mergeStreams(groupCount: number, startUs: number, onCalls: OnCalls): OnCalls[] {
  const watermarksUs = new Array<number>(groupCount).fill(startUs);
  let runWatermarkUs = startUs;
  return watermarksUs.map((_, group) => (calls, watermarkUs) => {
    watermarksUs[group] = watermarkUs;
    const lowestUs = Math.min(...watermarksUs);
    if (calls.length === 0 && lowestUs === runWatermarkUs) return;
    runWatermarkUs = lowestUs;
    onCalls(calls, lowestUs);
  });
}
