/**
 * Did two increments return the same value? Each increment of a correct counter yields a
 * value nobody else saw; a duplicate means two clients incremented from the same state
 * (the signature of a lost update). Only acknowledged increments that returned a value count.
 *
 * Streaming: a value's tally is final when it closes (see value-window.ts), except for the calls
 * that return it after that, which are stale: for those few values the spooled calls give the
 * whole tally and the first calls back at the end.
 */
import type { CallSpool } from './call-spool.js';
import { maxExamples, type CheckResult } from './check-result.js';
import { Outcome } from './history.js';
import type { ValueEntry, ValueWindow } from './value-window.js';
import { maxDuplicateOps, opAt, type DuplicateExample, type OpExample } from './witness.js';

export interface UniqueResult extends CheckResult {
  /** Acknowledged increments that returned a value. */
  valuedCount: number;
  /** Extra occurrences: a value returned 3 times adds 2. */
  duplicateCount: number;
  /** Distinct values returned more than once. */
  duplicatedValueCount: number;
  minValue: number | undefined;
  maxValue: number | undefined;
  /** The most frequent duplicates, most frequent first (then the smaller value). */
  examples: DuplicateExample[];
}

export class UniqueValuesChecker {
  #valued = 0;
  #duplicates = 0;
  #duplicatedValues = 0;
  #min = Infinity;
  #max = -Infinity;
  #top: DuplicateExample[] = [];

  /** `witnessed` hears of each duplicate kept as an example, as its value closes. */
  constructor(private readonly witnessed: (ops: OpExample[]) => void = () => {}) {}

  add(value: number): void {
    this.#valued++;
    if (value < this.#min) this.#min = value;
    if (value > this.#max) this.#max = value;
  }

  /** Values whose tally is final. */
  closed(entries: Iterable<ValueEntry>): void {
    for (const entry of entries) this.#tally(entry.value, entry.times, entry.ops);
  }

  /** The last tallies: the values still open or odd, and those that came back late. */
  result(window: ValueWindow, spool: CallSpool): UniqueResult {
    this.closed(window.open());
    this.closed(window.odd.values());
    this.#lateTallies(window, spool);
    const n = this.#valued;
    const base = {
      valuedCount: n,
      duplicateCount: this.#duplicates,
      duplicatedValueCount: this.#duplicatedValues,
      minValue: n === 0 ? undefined : this.#min,
      maxValue: n === 0 ? undefined : this.#max,
    };
    if (n === 0) return { ...base, valid: 'unknown', reason: 'no increment returned a value', examples: [] };
    return { ...base, valid: this.#duplicates === 0, examples: this.#top };
  }

  #tally(value: number, times: number, ops: readonly OpExample[]): void {
    if (times < 2) return;
    this.#duplicates += times - 1;
    this.#duplicatedValues++;
    const example = { value, times, ops: ops.slice(0, maxDuplicateOps) };
    if (keepTop(this.#top, example)) this.witnessed(example.ops);
  }

  /**
   * A value that came back after closing into a hole has all its calls in its late entry. One
   * returned before too has its earlier calls on disk: count them there, and take its first calls,
   * then correct what was tallied at closing.
   */
  #lateTallies(window: ValueWindow, spool: CallSpool): void {
    const seen = new Map<number, { times: number; ops: OpExample[] }>();
    for (const entry of window.late.values()) {
      if (entry.wasHole) this.#tally(entry.value, entry.times, entry.ops);
      else seen.set(entry.value, { times: 0, ops: [] });
    }
    if (seen.size === 0) return;
    spool.forEach((calls) => {
      for (let i = 0; i < calls.length; i++) {
        const tally = calls.outcomes[i] === Outcome.ok ? seen.get(calls.values[i]) : undefined;
        if (tally === undefined) continue;
        tally.times++;
        if (tally.ops.length < maxDuplicateOps) tally.ops.push(opAt(calls, i));
      }
    });
    for (const [value, { times, ops }] of seen) {
      const closedTimes = times - window.late.get(value)!.times;
      // Undo what closing tallied, then tally the whole.
      if (closedTimes >= 2) {
        this.#duplicates -= closedTimes - 1;
        this.#duplicatedValues--;
        this.#top = this.#top.filter((example) => example.value !== value);
      }
      this.#tally(value, times, ops);
    }
  }
}

/** Inserts into a list kept sorted by times (descending, then value ascending) and capped at maxExamples; true when kept. */
function keepTop(top: DuplicateExample[], candidate: DuplicateExample): boolean {
  const before = (a: DuplicateExample, b: DuplicateExample) => a.times > b.times || (a.times === b.times && a.value < b.value);
  if (top.length === maxExamples && !before(candidate, top[top.length - 1])) return false;
  let i = top.length;
  while (i > 0 && before(candidate, top[i - 1])) i--;
  top.splice(i, 0, candidate);
  if (top.length > maxExamples) top.pop();
  return true;
}
