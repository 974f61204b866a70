/**
 * Runs every checker on a history and combines their answers worst-first: one violation
 * makes the whole history invalid, otherwise one undecided check makes it 'unknown'.
 */
import {
  isCrashed,
  runCheck,
  worstValidity,
  type CheckResult,
  type CrashedCheck,
  type Validity,
} from '../../../tester/check/check-result.js';
import { checkCount, type CountInput, type CountResult } from './count-checker.js';
import { History, type HistoryData } from '../../../tester/check/history.js';
import { countOutcomes } from './outcomes.js';
import { checkLinearizable, type LinearizabilityResult, type ReadWindow } from './linearizability-checker.js';
import { checkValueRange, type RangeResult } from './range-checker.js';
import { checkRealTimeOrder, type RealTimeOrderResult } from './real-time-order-checker.js';
import { checkUniqueValues, type UniqueResult } from './unique-values-checker.js';

export interface CheckInput extends CountInput {
  /**
   * Whether increments should return values (default true). When none did, the value checks
   * stay 'unknown' but do not make the combined result 'unknown': a method that cannot report
   * values, or a server that acknowledges without one, is judged on its count alone. Only a
   * run that acknowledged nothing while values were expected stays undecided.
   */
  valuesExpected?: boolean;
  /**
   * Every successful read of the count with its call's times, the initial one included. Without
   * them the final count counts as read after every call.
   */
  reads?: readonly ReadWindow[];
}

export interface HistoryCheck {
  valid: Validity;
  opCount: number;
  okCount: number;
  failedCount: number;
  indeterminateCount: number;
  checks: {
    count: CountResult | CrashedCheck;
    unique: UniqueResult | CrashedCheck;
    realTimeOrder: RealTimeOrderResult | CrashedCheck;
    range: RangeResult | CrashedCheck;
    linearizable: LinearizabilityResult | CrashedCheck;
  };
}

export function checkHistory(history: History | HistoryData, input: CheckInput): HistoryCheck {
  const data = history instanceof History ? history.data() : history;
  const checks = {
    count: runCheck(() => checkCount(data, input)),
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
