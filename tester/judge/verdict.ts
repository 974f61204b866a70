/**
 * One line a human can read at a glance, e.g.
 *   "exact: 100000 of 100000 increments counted, no duplicates, real-time order kept"
 *   "LOST 1234 of 100000 acknowledged increments; 12 duplicate values; 3 stale reads"
 * For methods that do not promise correctness (`expectedUnsafe`), lost updates, duplicates,
 * stale reads and impossible values are marked as expected. Extra increments never are:
 * counting more than was attempted is a bug whatever the method.
 */
import { isCrashed, type CrashedCheck } from '../check/check-result.js';
import type { HistoryCheck } from '../check/check-history.js';
import type { CountResult } from '../check/count-checker.js';
import type { LinearizabilityResult } from '../check/linearizability-checker.js';
import type { RangeResult } from '../check/range-checker.js';
import type { RealTimeOrderResult } from '../check/real-time-order-checker.js';
import type { UniqueResult } from '../check/unique-values-checker.js';

/** One finding of a verdict line. */
export interface Part {
  text: string;
  kind: 'fine' | 'violation' | 'unknown';
  /** A violation that methods without guarantees are expected to show. */
  expectable?: boolean;
}

export function verdictLine(result: HistoryCheck, expectedUnsafe = false): string {
  const { count, unique, realTimeOrder, range, linearizable } = result.checks;
  const named = [countPart(count), ...valueParts(unique, realTimeOrder, result.okCount), ...rangeParts(range)];
  return partsLine([...named, ...linearizableParts(linearizable, named)], expectedUnsafe);
}

/** Findings joined into a verdict line, the expected violations of an unsafe method marked so. */
export function partsLine(parts: readonly Part[], expectedUnsafe: boolean): string {
  const allFine = parts.every((part) => part.kind === 'fine');
  let expectedSeen = false;
  const texts = parts.map((part) => {
    if (!expectedUnsafe || part.kind !== 'violation' || !part.expectable) return part.text;
    const suffix = expectedSeen ? '(expected)' : '(expected for this method)';
    expectedSeen = true;
    return `${lowerFirstWord(part.text)} ${suffix}`;
  });
  return texts.join(allFine ? ', ' : '; ');
}

export function countPart(count: CountResult | CrashedCheck): Part {
  if (isCrashed(count)) return { text: `count not checked (${count.error})`, kind: 'unknown' };
  if (count.appliedCount === undefined) return { text: 'final count unknown', kind: 'unknown' };
  if (count.lostCount > 0) {
    const text = `LOST ${count.lostCount} of ${count.acknowledgedCount} acknowledged increments`;
    return { text, kind: 'violation', expectable: true };
  }
  if (count.extraCount > 0) {
    const text = `EXTRA ${count.extraCount} increments counted beyond the ${count.attemptedCount} attempted`;
    return { text, kind: 'violation' };
  }
  const notes = [];
  if (count.indeterminateCount > 0) notes.push(`${count.indeterminateCount} indeterminate`);
  if (count.failedCount > 0) notes.push(`${count.failedCount} failed`);
  const note = notes.length > 0 ? ` (${notes.join(', ')})` : '';
  if (count.mode === 'exact') {
    return {
      text: `exact: ${count.appliedCount} of ${count.acknowledgedCount} increments counted${note}`,
      kind: 'fine',
    };
  }
  const bounds = `[${count.acknowledgedCount}, ${count.attemptedCount}]`;
  return { text: `${count.appliedCount} increments counted, within ${bounds}${note}`, kind: 'fine' };
}

function valueParts(
  unique: UniqueResult | CrashedCheck,
  realTimeOrder: RealTimeOrderResult | CrashedCheck,
  okCount: number,
): Part[] {
  const noValues = !isCrashed(unique) && unique.valuedCount === 0;
  if (noValues) {
    const text = okCount === 0 ? 'no acknowledged increments' : 'no values returned (uniqueness and order not checked)';
    return [{ text, kind: 'unknown' }];
  }
  return [uniquePart(unique), realTimeOrderPart(realTimeOrder)];
}

function uniquePart(unique: UniqueResult | CrashedCheck): Part {
  if (isCrashed(unique)) return { text: `duplicates not checked (${unique.error})`, kind: 'unknown' };
  if (unique.duplicateCount === 0) return { text: 'no duplicates', kind: 'fine' };
  return { text: plural(unique.duplicateCount, 'duplicate value'), kind: 'violation', expectable: true };
}

function realTimeOrderPart(order: RealTimeOrderResult | CrashedCheck): Part {
  if (isCrashed(order)) return { text: `real-time order not checked (${order.error})`, kind: 'unknown' };
  if (order.staleCount === 0) return { text: 'real-time order kept', kind: 'fine' };
  return { text: plural(order.staleCount, 'stale read'), kind: 'violation', expectable: true };
}

/** Only mentioned when something is wrong: in-range values are the normal case. */
function rangeParts(range: RangeResult | CrashedCheck): Part[] {
  if (isCrashed(range)) return [{ text: `value range not checked (${range.error})`, kind: 'unknown' }];
  if (range.outOfRangeCount === 0) return [];
  const values = plural(range.outOfRangeCount, 'value');
  const text = `${values} out of range (${range.belowCount} too low, ${range.aboveCount} too high)`;
  return [{ text, kind: 'violation', expectable: true }];
}

/**
 * What only the exact check found: shown when the other parts name no violation, since each of
 * theirs also makes the history non-linearizable and says why more plainly.
 */
function linearizableParts(check: LinearizabilityResult | CrashedCheck, named: Part[]): Part[] {
  if (isCrashed(check)) return [{ text: `linearizability not checked (${check.error})`, kind: 'unknown' }];
  if (check.valid !== false || named.some((part) => part.kind === 'violation')) return [];
  const counts: [number, string, string][] = [
    [check.skippedCount, 'value', 'never produced by any call'],
    [check.unplacedCount, 'increment', 'acknowledged with no value left for it'],
    [check.conflictCount, 'value', 'with no time left to take effect'],
  ];
  return counts
    .filter(([n]) => n > 0)
    .map(([n, noun, rest]) => ({ text: `${plural(n, noun)} ${rest}`, kind: 'violation', expectable: true }));
}

/** "LOST 5 of ..." -> "lost 5 of ...": shouting is for surprises. */
function lowerFirstWord(text: string): string {
  const space = text.indexOf(' ');
  const first = space < 0 ? text : text.slice(0, space);
  return first === first.toUpperCase() ? first.toLowerCase() + text.slice(first.length) : text;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** Answers the tester could not read (protocol errors), as a verdict part: none, or one. */
export function unreadableAnswersPart(unreadableCount = 0): string[] {
  return unreadableCount > 0
    ? [`UNREADABLE: ${plural(unreadableCount, 'answer')} could not be read (see the first protocol error)`]
    : [];
}
