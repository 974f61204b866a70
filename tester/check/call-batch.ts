/**
 * A run's calls as they stream to whatever judges or draws them: consecutive rows of the
 * history, in completion order, with where each call lands in the saved history. Rows number
 * the calls from 0 over the whole run in that order, so a witness names the same call however
 * the stream was cut into batches.
 */
import type { HistoryData } from './history.js';

export interface CallBatch extends HistoryData {
  /** The row of the batch's first call. */
  firstRow: number;
  /** The index of each call's invoke event in the saved history. */
  invokeIndex: Float64Array;
  /** Each call's Jepsen process number (a client's number changes after each `info`). */
  processes: Float64Array;
  /**
   * Every call after this batch was invoked at or after this time (the oldest invoke among the
   * calls still in flight). It lets the checkers forget what no later call can touch; without
   * it (-Infinity) they keep everything until the end.
   */
  pendingSinceUs: number;
  /**
   * For the union of several segments' histories: 1 where the call was already found stale
   * within its own segment, on that segment's one clock (see segment-merge.ts).
   */
  staleInSegment?: Uint8Array;
}

/** Takes batches in row order; a batch's columns may be reused once `add` returns. */
export interface CallSink {
  add(batch: CallBatch): void;
}
