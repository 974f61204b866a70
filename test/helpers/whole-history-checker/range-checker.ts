/**
 * Are returned values possible at all? The counter only grows, from `initial` to `final`,
 * so every value an increment returned must lie in (initial, final]. A value at or below
 * `initial` ignores the starting state; one above `final` was later overwritten by a
 * smaller value (an increment computed from a stale read).
 */
import { maxExamples } from '../../../tester/check/check-result.js';
import type { CountInput } from '../../../tester/check/count-checker.js';
import type { RangeResult } from '../../../tester/check/range-checker.js';
import { Outcome, type HistoryData } from '../../../tester/check/history.js';
import { opExample } from './real-time-order-checker.js';
import type { BoundsExample } from '../../../tester/check/witness.js';

export function checkValueRange(data: HistoryData, { initial, final }: CountInput): RangeResult {
  const upper = final !== undefined && Number.isFinite(final) ? final : Infinity;
  let valuedCount = 0;
  let belowCount = 0;
  let aboveCount = 0;
  const examples: BoundsExample[] = [];
  for (let i = 0; i < data.length; i++) {
    const value = data.values[i];
    if (data.outcomes[i] !== Outcome.ok || Number.isNaN(value)) continue;
    valuedCount++;
    const below = value <= initial;
    const above = value > upper;
    if (below) belowCount++;
    if (above) aboveCount++;
    if ((below || above) && examples.length < maxExamples) {
      examples.push({ lower: initial + 1, value, upper, op: opExample(data, i) });
    }
  }
  const outOfRangeCount = belowCount + aboveCount;
  const result = { valuedCount, belowCount, aboveCount, outOfRangeCount, examples };
  if (valuedCount === 0) return { ...result, valid: 'unknown', reason: 'no increment returned a value' };
  if (outOfRangeCount > 0) return { ...result, valid: false };
  if (upper === Infinity) return { ...result, valid: 'unknown', reason: 'the final count is unknown' };
  return { ...result, valid: true };
}
