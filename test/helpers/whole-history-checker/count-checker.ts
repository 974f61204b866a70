/**
 * Did the counter count every increment, and nothing else? Compares the counter's growth
 * (final - initial) with what the clients were told.
 *
 * Definitions (as in Jepsen's counter checker):
 * - acknowledged: increments that returned ok; each of them must show in the count.
 * - attempted: increments that might have been applied = acknowledged + indeterminate
 *   (timeouts, resets). Definitely-failed increments are excluded: they must not show.
 * The count is valid when acknowledged <= final - initial <= attempted. Without
 * indeterminate operations the bounds meet and the check is exact.
 */
import type { HistoryData } from '../../../tester/check/history.js';
import { countOutcomes } from './outcomes.js';
import type { CountInput, CountResult } from '../../../tester/check/count-checker.js';

export function checkCount(data: HistoryData, { initial, final }: CountInput): CountResult {
  const { okCount, failedCount, indeterminateCount } = countOutcomes(data);
  const attemptedCount = okCount + indeterminateCount;
  const base = {
    mode: indeterminateCount === 0 ? ('exact' as const) : ('bounds' as const),
    initial,
    final,
    acknowledgedCount: okCount,
    indeterminateCount,
    failedCount,
    attemptedCount,
    examples: [],
  };
  if (final === undefined || !Number.isFinite(final) || !Number.isFinite(initial)) {
    const reason = 'the final (or initial) count could not be read';
    return { ...base, valid: 'unknown', reason, appliedCount: undefined, lostCount: 0, extraCount: 0 };
  }
  const appliedCount = final - initial;
  const lostCount = Math.max(0, okCount - appliedCount);
  const extraCount = Math.max(0, appliedCount - attemptedCount);
  const valid = lostCount === 0 && extraCount === 0;
  const examples = valid ? [] : [{ lower: initial + okCount, value: final, upper: initial + attemptedCount }];
  return { ...base, valid, appliedCount, lostCount, extraCount, examples };
}
