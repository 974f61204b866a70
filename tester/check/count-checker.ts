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
import type { CheckResult } from './check-result.js';
import type { BoundsExample } from './witness.js';

/** How many calls ended each way. */
export interface OutcomeCounts {
  okCount: number;
  failedCount: number;
  indeterminateCount: number;
}

export interface CountInput {
  /** The counter's value before the load started. */
  initial: number;
  /** Its value after the load ended; undefined when it could not be read. */
  final: number | undefined;
}

export interface CountResult extends CheckResult {
  /** 'exact' when every increment's fate is known; 'bounds' when some are indeterminate. */
  mode: 'exact' | 'bounds';
  initial: number;
  final: number | undefined;
  acknowledgedCount: number;
  indeterminateCount: number;
  failedCount: number;
  /** acknowledged + indeterminate: every increment that might have been applied. */
  attemptedCount: number;
  /** final - initial: the increments the counter shows; undefined when final is unknown. */
  appliedCount: number | undefined;
  /** Acknowledged increments missing from the count (0 when none). */
  lostCount: number;
  /** Increments counted beyond all that were attempted (0 when none). */
  extraCount: number;
  /** The final read, when it broke its bounds [initial + acknowledged, initial + attempted]. */
  examples: BoundsExample[];
}

export function checkCount(
  { okCount, failedCount, indeterminateCount }: OutcomeCounts,
  { initial, final }: CountInput,
): CountResult {
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
