/**
 * Are returned values possible at all? The counter only grows, from `initial` to `final`,
 * so every value an increment returned must lie in (initial, final]. A value at or below
 * `initial` ignores the starting state; one above `final` was later overwritten by a
 * smaller value (an increment computed from a stale read).
 *
 * Streaming: values at or below `initial` never close, and a final count at or above the closed
 * values can only be exceeded by open ones, so the window holds every call out of range. Only a
 * final count below closed values sends the check to the spooled calls.
 */
import type { CallSpool } from './call-spool.js';
import { maxExamples, type CheckResult } from './check-result.js';
import type { CountInput } from './count-checker.js';
import { Outcome } from './history.js';
import type { ValueWindow } from './value-window.js';
import { opAt, type BoundsExample, type OpExample } from './witness.js';

export interface RangeResult extends CheckResult {
  /** Acknowledged increments that returned a value (the ones checked). */
  valuedCount: number;
  /** Values <= initial. */
  belowCount: number;
  /** Values > final (0 when final is unknown). */
  aboveCount: number;
  outOfRangeCount: number;
  /** The first in row order, each with the bounds it broke: (initial, final] as [initial + 1, final]. */
  examples: BoundsExample[];
}

export function checkValueRange(
  window: ValueWindow,
  spool: CallSpool,
  valuedCount: number,
  { initial, final }: CountInput,
): RangeResult {
  const upper = final !== undefined && Number.isFinite(final) ? final : Infinity;
  const outside = (value: number) => value <= initial || value > upper;
  const { belowCount, aboveCount, ops } =
    upper >= window.closedUpTo ? fromWindow(window, outside, initial) : fromSpool(spool, outside, initial);
  const examples = ops.map((op) => ({ lower: initial + 1, value: op.value, upper, op }));
  const outOfRangeCount = belowCount + aboveCount;
  const result = { valuedCount, belowCount, aboveCount, outOfRangeCount, examples };
  if (valuedCount === 0) return { ...result, valid: 'unknown', reason: 'no increment returned a value' };
  if (outOfRangeCount > 0) return { ...result, valid: false };
  if (upper === Infinity) return { ...result, valid: 'unknown', reason: 'the final count is unknown' };
  return { ...result, valid: true };
}

interface Outside {
  belowCount: number;
  aboveCount: number;
  /** The first maxExamples calls out of range, in row order. */
  ops: OpExample[];
}

function fromWindow(window: ValueWindow, outside: (value: number) => boolean, initial: number): Outside {
  const found: Outside = { belowCount: 0, aboveCount: 0, ops: [] };
  for (const entries of [window.odd.values(), window.open()]) {
    for (const entry of entries) {
      if (!outside(entry.value)) continue;
      if (entry.value <= initial) found.belowCount += entry.times;
      else found.aboveCount += entry.times;
      found.ops.push(...entry.ops);
    }
  }
  found.ops = found.ops.sort((a, b) => a.row - b.row).slice(0, maxExamples);
  return found;
}

function fromSpool(spool: CallSpool, outside: (value: number) => boolean, initial: number): Outside {
  const found: Outside = { belowCount: 0, aboveCount: 0, ops: [] };
  spool.forEach((calls) => {
    for (let i = 0; i < calls.length; i++) {
      const value = calls.values[i];
      if (calls.outcomes[i] !== Outcome.ok || Number.isNaN(value) || !outside(value)) continue;
      if (value <= initial) found.belowCount++;
      else found.aboveCount++;
      if (found.ops.length < maxExamples) found.ops.push(opAt(calls, i));
    }
  });
  return found;
}
