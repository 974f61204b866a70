/**
 * Linearizability for increment-and-get: if increment A completed before increment B was
 * invoked, A took effect first, so B must return a larger value. A B that returns a value
 * <= A's saw a stale counter. Operations that overlap in time may take effect in either
 * order, so they are never compared.
 *
 * O(n log n): visit acknowledged, valued increments by invoke time while a second cursor,
 * over the same operations by completion time, admits every operation that completed
 * strictly before the visited one was invoked, tracking the largest value among them.
 * The visited operation is stale when its value does not exceed that maximum.
 */
import { maxExamples, type CheckResult } from './check-result.js';
import { Outcome, type HistoryData } from './history.js';
import type { OpExample, StaleExample } from './witness.js';

export interface RealTimeOrderResult extends CheckResult {
  /** Acknowledged increments that returned a value (the ones compared). */
  comparedCount: number;
  /** Operations that returned a value not above one that had completed before they began. */
  staleCount: number;
  examples: StaleExample[];
}

export function checkRealTimeOrder(data: HistoryData): RealTimeOrderResult {
  const ops = valuedOkOps(data);
  if (ops.length === 0) {
    const reason = 'no increment returned a value';
    return { valid: 'unknown', reason, comparedCount: 0, staleCount: 0, examples: [] };
  }
  const { invokeUs, completeUs, values } = data;
  const byInvoke = ops.slice().sort((a, b) => invokeUs[a] - invokeUs[b]);
  const byComplete = ops.sort((a, b) => completeUs[a] - completeUs[b]);

  let staleCount = 0;
  const examples: StaleExample[] = [];
  let completed = 0; // byComplete[0 .. completed) finished before the current invoke
  let maxIndex = -1; // the op with the largest value among those
  for (const later of byInvoke) {
    while (completed < byComplete.length && completeUs[byComplete[completed]] < invokeUs[later]) {
      const op = byComplete[completed++];
      if (maxIndex < 0 || values[op] > values[maxIndex]) maxIndex = op;
    }
    if (maxIndex >= 0 && values[later] <= values[maxIndex]) {
      staleCount++;
      if (examples.length < maxExamples) {
        examples.push({ earlier: opExample(data, maxIndex), later: opExample(data, later) });
      }
    }
  }
  return { valid: staleCount === 0, comparedCount: ops.length, staleCount, examples };
}

/** Indices of acknowledged operations that returned a value. */
function valuedOkOps(data: HistoryData): Uint32Array {
  const ops = new Uint32Array(data.length);
  let n = 0;
  for (let i = 0; i < data.length; i++) {
    if (data.outcomes[i] === Outcome.ok && !Number.isNaN(data.values[i])) ops[n++] = i;
  }
  return ops.slice(0, n);
}

export function opExample(data: HistoryData, i: number): OpExample {
  return {
    row: i,
    clientId: data.clientIds[i],
    invokeUs: data.invokeUs[i],
    completeUs: data.completeUs[i],
    value: data.values[i],
  };
}
