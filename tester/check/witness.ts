/**
 * The evidence a checker names for each anomaly, as Jepsen's and Porcupine's checkers show
 * it: the operations that returned the same value, the pair that broke real-time order, each
 * value with the [lower, upper] bounds it broke. Operations are named by their row in the
 * checked `HistoryData`; `history-layout.ts` turns a row into the client, Jepsen index and
 * times of the saved history.
 */

/** One increment named as evidence. */
export interface OpExample {
  /** Its row: its place among the checked calls in completion order. */
  row: number;
  /** The index of its invoke event in the saved history (NaN when checked without one). */
  invokeIndex: number;
  clientId: number;
  /** Same clock as the history's columns. */
  invokeUs: number;
  completeUs: number;
  value: number;
}

/** How many operations a duplicate witness lists (its `times` says how many there were). */
export const maxDuplicateOps = 3;

/** Several increments returned `value`: at most one of them can have been applied alone. */
export interface DuplicateExample {
  value: number;
  /** How many increments returned it. */
  times: number;
  /** The first of them, in recording order, at most `maxDuplicateOps`. */
  ops: OpExample[];
}

/** `later` began after `earlier` completed yet returned a value not above it. */
export interface StaleExample {
  /** The operation that completed first, with the largest value seen before `later` began. */
  earlier: OpExample;
  /** The operation invoked after `earlier` completed that returned a value not above it. */
  later: OpExample;
}

/**
 * A value outside the bounds any correct counter allows, as Jepsen's counter checker reports
 * each read: `[lower, value, upper]`. For an increment, (initial, final]; for the final read,
 * [initial + acknowledged, initial + attempted].
 */
export interface BoundsExample {
  lower: number;
  value: number;
  upper: number;
  /** The increment that returned `value`; absent for the final read, the tester's own op. */
  op?: OpExample;
}

/** Calls as columns, numbered from `firstRow`: what a batch or the spool holds. */
export interface CallColumns {
  firstRow: number;
  clientIds: Uint32Array;
  invokeUs: Float64Array;
  completeUs: Float64Array;
  values: Float64Array;
  invokeIndex: Float64Array;
}

/** The i-th call of `calls`, named as a witness. */
export function opAt(calls: CallColumns, i: number): OpExample {
  return {
    row: calls.firstRow + i,
    invokeIndex: calls.invokeIndex[i],
    clientId: calls.clientIds[i],
    invokeUs: calls.invokeUs[i],
    completeUs: calls.completeUs[i],
    value: calls.values[i],
  };
}
