/**
 * Did two increments return the same value? Each increment of a correct counter yields a
 * value nobody else saw; a duplicate means two clients incremented from the same state
 * (the signature of a lost update). Only acknowledged increments that returned a value count.
 */
import { maxExamples } from '../../../tester/check/check-result.js';
import type { UniqueResult } from '../../../tester/check/unique-values-checker.js';
import { Outcome, type HistoryData } from '../../../tester/check/history.js';
import { okValues } from './outcomes.js';
import { opExample } from './real-time-order-checker.js';
import { maxDuplicateOps, type DuplicateExample } from '../../../tester/check/witness.js';

export function checkUniqueValues(data: HistoryData): UniqueResult {
  const sorted = okValues(data).sort(); // typed arrays sort numerically
  const n = sorted.length;
  if (n === 0) {
    return {
      valid: 'unknown',
      reason: 'no increment returned a value',
      valuedCount: 0,
      duplicateCount: 0,
      duplicatedValueCount: 0,
      minValue: undefined,
      maxValue: undefined,
      examples: [],
    };
  }
  let duplicateCount = 0;
  let duplicatedValueCount = 0;
  const examples: DuplicateExample[] = [];
  // Equal values are adjacent once sorted: walk the runs.
  for (let start = 0, end = 1; start < n; start = end, end = start + 1) {
    while (end < n && sorted[end] === sorted[start]) end++;
    const times = end - start;
    if (times === 1) continue;
    duplicateCount += times - 1;
    duplicatedValueCount++;
    keepTop(examples, { value: sorted[start], times, ops: [] });
  }
  addWitnessOps(data, examples);
  return {
    valid: duplicateCount === 0,
    valuedCount: n,
    duplicateCount,
    duplicatedValueCount,
    minValue: sorted[0],
    maxValue: sorted[n - 1],
    examples,
  };
}

/** Inserts into a list kept sorted by times (descending) and capped at maxExamples. */
function keepTop(top: DuplicateExample[], candidate: DuplicateExample): void {
  if (top.length === maxExamples && candidate.times <= top[top.length - 1].times) return;
  let i = top.length;
  while (i > 0 && top[i - 1].times < candidate.times) i--;
  top.splice(i, 0, candidate);
  if (top.length > maxExamples) top.pop();
}

/** Fills each example's `ops` with the first increments that returned its value. */
function addWitnessOps(data: HistoryData, examples: DuplicateExample[]): void {
  const byValue = new Map(examples.map((example) => [example.value, example.ops]));
  for (let i = 0; i < data.length && byValue.size > 0; i++) {
    const ops = data.outcomes[i] === Outcome.ok ? byValue.get(data.values[i]) : undefined;
    if (ops === undefined) continue;
    ops.push(opExample(data, i));
    if (ops.length === maxDuplicateOps) byValue.delete(data.values[i]);
  }
}
