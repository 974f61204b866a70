/**
 * The calls a report keeps for its witness timelines, in memory bounded whatever the run's
 * length: the ring of the latest calls, and up to `maxMarks` marked windows of up to
 * `maxCallsPerMark` calls each. A window marked before its calls stream by is counted exactly;
 * one marked late starts with what the ring still holds.
 */
import type { HistoryData, Outcome } from '../check/history.js';
import { CallRing, type KeptCall } from './call-ring.js';
import { type KeptWindow, MarkedWindow } from './marked-window.js';
import { maxLanes, maxTimelineOps } from './witness-timeline.js';

/** Room for every timeline a page draws (five per kind of anomaly, and the final read) twice over. */
export const maxMarks = 32;
/** Enough that the lanes a timeline picks still have `maxTimelineOps` calls near its middle. */
export const maxCallsPerMark = maxLanes * maxTimelineOps;

export class WitnessCalls {
  readonly #ring = new CallRing();
  readonly #marks: MarkedWindow[] = [];

  /** Keeps a call: `push` every call first, then `offerToMarks` the batch. */
  push(data: HistoryData, i: number, row: number): void {
    this.#ring.push(data, i, row);
  }

  /** Counts the batch's calls in each marked window it overlaps (its calls span `[fromUs, toUs]`). */
  offerToMarks(data: HistoryData, rowOf: (i: number) => number, fromUs: number, toUs: number): void {
    for (const mark of this.#marks) {
      if (!mark.overlaps(fromUs, toUs)) continue;
      for (let i = 0; i < data.length; i++) {
        if (!mark.overlaps(data.invokeUs[i], data.completeUs[i])) continue;
        mark.offer(data.clientIds[i], data.invokeUs[i], data.completeUs[i], () => ({
          row: rowOf(i),
          clientId: data.clientIds[i],
          invokeUs: data.invokeUs[i],
          completeUs: data.completeUs[i],
          value: data.values[i],
          outcome: data.outcomes[i] as Outcome,
        }));
      }
    }
  }

  /** Keeps the calls overlapping [fromUs, toUs]; false when `maxMarks` windows are marked already. */
  mark(fromUs: number, toUs: number): boolean {
    if (this.#marks.some((mark) => mark.fromUs === fromUs && mark.toUs === toUs)) return true;
    if (this.#marks.length >= maxMarks) return false;
    const mark = new MarkedWindow(fromUs, toUs, maxCallsPerMark);
    for (const call of this.#ring.callsIn(fromUs, toUs)) {
      mark.offer(call.clientId, call.invokeUs, call.completeUs, () => call);
    }
    this.#marks.push(mark);
    return true;
  }

  /**
   * The kept calls overlapping [fromUs, toUs]. The window's counts are exact when it was marked
   * before its calls went by; otherwise they count the calls kept.
   */
  callsIn(fromUs: number, toUs: number): KeptWindow {
    const byRow = new Map<number, KeptCall>();
    const keep = (calls: KeptCall[]) => {
      for (const call of calls) if (call.invokeUs <= toUs && call.completeUs >= fromUs) byRow.set(call.row, call);
    };
    const marked = this.#marks.find((mark) => mark.fromUs === fromUs && mark.toUs === toUs)?.kept();
    for (const mark of this.#marks) if (mark.overlaps(fromUs, toUs)) keep(mark.kept().calls);
    keep(this.#ring.callsIn(fromUs, toUs));
    const calls = [...byRow.values()].sort((a, b) => a.row - b.row);
    if (marked) return { ...marked, calls };
    const busy = new Map<number, number>();
    for (const { clientId } of calls) busy.set(clientId, (busy.get(clientId) ?? 0) + 1);
    return { calls, busy, inWindowCount: calls.length };
  }
}
