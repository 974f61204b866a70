/**
 * Runs every checker on a history and combines their answers worst-first: one violation
 * makes the whole history invalid, otherwise one undecided check makes it 'unknown'.
 */
import { isCrashed, runCheck, worstValidity, type CheckResult } from '../../../tester/check/check-result.js';
import type { CheckInput, HistoryCheck } from '../../../tester/check/check-history.js';
import { History, type HistoryData } from '../../../tester/check/history.js';
import type { ReadWindow } from '../../../tester/check/linearizability-checker.js';
// The count check is arithmetic on tallies: the product's serves the oracle as it is.
import { checkCount } from '../../../tester/check/count-checker.js';
import { checkLinearizable } from './linearizability-checker.js';
import { countOutcomes } from './outcomes.js';
import { checkValueRange } from './range-checker.js';
import { checkRealTimeOrder } from './real-time-order-checker.js';
import { checkUniqueValues } from './unique-values-checker.js';

export function checkHistory(history: History | HistoryData, input: CheckInput): HistoryCheck {
  const data = history instanceof History ? history.data() : history;
  const checks = {
    count: runCheck(() => checkCount(countOutcomes(data), input)),
    unique: runCheck(() => checkUniqueValues(data)),
    realTimeOrder: runCheck(() => checkRealTimeOrder(data)),
    range: runCheck(() => checkValueRange(data, input)),
    linearizable: runCheck(() => checkLinearizable(data, input.initial, readsOf(input))),
  };
  const outcomes = countOutcomes(data);
  const judged: CheckResult[] = [checks.count, checks.linearizable];
  // A crashed value checker stays judged: its 'unknown' must show.
  const noValues = !isCrashed(checks.unique) && checks.unique.valuedCount === 0;
  if (!noValues || (input.valuesExpected !== false && outcomes.okCount === 0)) {
    judged.push(checks.unique, checks.realTimeOrder, checks.range);
  }
  const valid = worstValidity(judged.map((check) => check.valid));
  return { valid, opCount: data.length, ...outcomes, checks };
}

function readsOf({ reads, final }: CheckInput): readonly ReadWindow[] {
  if (reads) return reads;
  return final === undefined ? [] : [{ value: final, invokeUs: Infinity, completeUs: Infinity }];
}
