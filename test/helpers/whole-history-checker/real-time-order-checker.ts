/**
 * Linearizability for increment-and-get: if increment A completed before increment B was
 * invoked, A took effect first, so B must return a larger value. A B that returns a value
 * <= A's saw a stale counter. Operations that overlap in time may take effect in either
 * order, so they are never compared.
 *
 * O(n log n), with no sort for a history recorded in completion order (as a saved one is
 * read back): lay the acknowledged, valued increments out by completion time, with, at each
 * position, the one with the largest value among those before it. An operation is stale when
 * its value does not exceed that of the leader among all that completed strictly before it
 * was invoked (found by binary search). The examples are the first stale ones by invoke time.
 */
import { maxExamples } from '../../../tester/check/check-result.js';
import type { RealTimeOrderResult } from '../../../tester/check/real-time-order-checker.js';
import { Outcome, type HistoryData } from '../../../tester/check/history.js';
import type { OpExample } from '../../../tester/check/witness.js';

export function checkRealTimeOrder(data: HistoryData): RealTimeOrderResult {
  const ops = valuedOkOps(data);
  if (ops.length === 0) {
    const reason = 'no increment returned a value';
    return { valid: 'unknown', reason, comparedCount: 0, staleCount: 0, examples: [] };
  }
  const { invokeUs, values } = data;
  const completed = completionLeaders(data, ops);
  let staleCount = 0;
  const stale: number[] = []; // the first maxExamples stale ops by (invoke time, row)
  for (let j = 0; j < ops.length; j++) {
    const later = ops[j];
    const leader = completed.leaders[completedBefore(completed.times, invokeUs[later], j)];
    if (leader < 0 || values[later] > values[leader]) continue;
    staleCount++;
    keepFirst(stale, later, invokeUs);
  }
  const examples = stale.map((later) => {
    const leader = completed.leaders[completedBefore(completed.times, invokeUs[later], 0)];
    return { earlier: opExample(data, leader), later: opExample(data, later) };
  });
  return { valid: staleCount === 0, comparedCount: ops.length, staleCount, examples };
}

/**
 * `ops` by completion time: `times[k]` is the k-th completion and `leaders[k]` the op with the
 * largest value among the k before it (the first to reach it), -1 for none.
 */
function completionLeaders(data: HistoryData, ops: Uint32Array): { times: Float64Array; leaders: Int32Array } {
  const { completeUs, values } = data;
  const byComplete = inOrder(ops, completeUs) ? ops : ops.slice().sort((a, b) => completeUs[a] - completeUs[b]);
  const times = new Float64Array(byComplete.length);
  const leaders = new Int32Array(byComplete.length + 1);
  leaders[0] = -1;
  for (let k = 0; k < byComplete.length; k++) {
    const op = byComplete[k];
    const leader = leaders[k];
    times[k] = completeUs[op];
    leaders[k + 1] = leader < 0 || values[op] > values[leader] ? op : leader;
  }
  return { times, leaders };
}

function inOrder(ops: Uint32Array, times: Float64Array): boolean {
  for (let i = 1; i < ops.length; i++) if (times[ops[i]] < times[ops[i - 1]]) return false;
  return true;
}

/**
 * How many of the sorted `times` are strictly before `timeUs`: a binary search between bounds
 * found by galloping from `hint`. In a history in completion order, an op's own completion is
 * at its hint and those before its invoke are a few (about the concurrency) behind: a handful
 * of nearby reads rather than a search of the whole array at random.
 */
function completedBefore(times: Float64Array, timeUs: number, hint: number): number {
  const n = times.length;
  let low: number;
  let high: number;
  if (hint < n && times[hint] < timeUs) {
    low = hint + 1;
    high = low;
    for (let step = 1; high < n && times[high] < timeUs; step *= 2) {
      low = high + 1;
      high = low + step;
    }
    high = Math.min(high, n);
  } else {
    high = Math.min(hint, n);
    low = high - 1;
    for (let step = 1; low >= 0 && times[low] >= timeUs; step *= 2) {
      high = low;
      low = high - step;
    }
    low = Math.max(low + 1, 0);
  }
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (times[middle] < timeUs) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Keeps `first` the maxExamples earliest ops by invoke time, then row (ops come in row order). */
function keepFirst(first: number[], op: number, invokeUs: Float64Array): void {
  if (first.length === maxExamples && invokeUs[op] >= invokeUs[first[maxExamples - 1]]) return;
  let i = first.length;
  while (i > 0 && invokeUs[first[i - 1]] > invokeUs[op]) i--;
  first.splice(i, 0, op);
  if (first.length > maxExamples) first.pop();
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
    invokeIndex: NaN,
    clientId: data.clientIds[i],
    invokeUs: data.invokeUs[i],
    completeUs: data.completeUs[i],
    value: data.values[i],
  };
}
