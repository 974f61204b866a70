/**
 * Is the history linearizable for a counter (inc returns the new value, read returns the
 * value), given the value read before the load? The other checkers each test one necessary
 * condition and name it well; this one decides exactly, so that no history they all pass
 * can still be impossible (a value skipped with no call that could have produced it).
 *
 * Why a matching and not a search: without resets, the k-th increment to take effect sets the
 * counter to initial + k, so each value is a slot, and a linearization is an assignment of
 * increments to slots whose times can be chosen non-decreasing, each within its call's
 * [invoke, completion] (an indeterminate call has no completion; equal times are concurrent,
 * as in Porcupine). An increment that returned a value is pinned to its slot; a read of value r
 * sits between slots r and r + 1. Those anchors bound every slot's time from below (anything
 * pinned at or before it began then) and from above (anything pinned at or after it ended
 * then). What is left is to give each unpinned slot (a gap) an increment that returned no
 * value, and each acknowledged such increment a slot (a gap, or one after the last read).
 * Once the bounds are propagated an increment fits a contiguous range of gaps, so both are
 * interval matchings that earliest-deadline-first sweeps decide, and a matching covering all
 * gaps and one covering every acknowledged increment together give one covering both
 * (Mendelsohn-Dulmage). Checked against a brute-force Wing-Gong search in test/linearizability.
 */
import type {
  Anchor,
  LinearizabilityResult,
  ReadWindow,
  SkippedValueExample,
} from '../../../tester/check/linearizability-checker.js';
import { maxExamples } from '../../../tester/check/check-result.js';
import { DeadlineHeap } from './deadline-heap.js';
import { Outcome, type HistoryData } from '../../../tester/check/history.js';
import { opExample } from './real-time-order-checker.js';

const NONE = -0x80000000;

export function checkLinearizable(data: HistoryData, initial: number, reads: readonly ReadWindow[]): LinearizabilityResult {
  const slots = new SlotBounds(data, initial, reads);
  const result: LinearizabilityResult = {
    valid: true,
    skippedCount: 0,
    unplacedCount: 0,
    conflictCount: 0,
    impossibleCount: slots.impossibleCount,
    examples: [],
  };
  for (let s = 1; s <= slots.lastSlot; s++) {
    if (slots.lower[s] <= slots.upper[s]) continue;
    result.conflictCount++;
    if (result.examples.length < maxExamples) {
      const [after, before] = [slots.anchor(slots.lowerFrom[s]), slots.anchor(slots.upperFrom[s])];
      result.examples.push({ kind: 'conflict', value: initial + s, after: after!, before: before! });
    }
  }
  const gaps = new GapMatching(data, slots);
  gaps.fillEveryGap(result);
  gaps.placeEveryAcknowledged(result);
  const wrong = result.skippedCount + result.unplacedCount + result.conflictCount + result.impossibleCount;
  result.valid = wrong === 0;
  return result;
}

/** Each value's slot with the time bounds its anchors give, propagated along the slots. */
class SlotBounds {
  /** The highest slot any anchor names; slots after it are free (after the last read). */
  readonly lastSlot: number;
  /** The increment pinned to each slot, or NONE. */
  readonly pinned: Int32Array;
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  /** The anchor that set each bound: an op row, -(read index + 1), or NONE. */
  readonly lowerFrom: Int32Array;
  readonly upperFrom: Int32Array;
  impossibleCount = 0;

  constructor(
    private readonly data: HistoryData,
    readonly initial: number,
    private readonly reads: readonly ReadWindow[],
  ) {
    const { outcomes, values } = data;
    let possible = 0; // increments that may have taken effect: slots beyond them are impossible
    for (let i = 0; i < data.length; i++) if (outcomes[i] !== Outcome.failed) possible++;
    let last = 0;
    const slotOf = (value: number) => {
      const s = value - initial;
      return Number.isInteger(s) && s >= 0 && s <= possible ? s : -1;
    };
    for (let i = 0; i < data.length; i++) {
      if (outcomes[i] === Outcome.ok && !Number.isNaN(values[i])) last = Math.max(last, slotOf(values[i]));
    }
    for (const read of reads) last = Math.max(last, slotOf(read.value));
    this.lastSlot = last;
    this.pinned = new Int32Array(last + 2).fill(NONE);
    this.lower = new Float64Array(last + 2).fill(-Infinity);
    this.upper = new Float64Array(last + 2).fill(Infinity);
    this.lowerFrom = new Int32Array(last + 2).fill(NONE);
    this.upperFrom = new Int32Array(last + 2).fill(NONE);
    this.#pinIncrements(slotOf);
    this.#pinReads(slotOf);
    this.#propagate();
  }

  /** The bound every slot after the last one starts from. */
  get trailingLower(): number {
    return this.lower[this.lastSlot + 1];
  }

  anchor(from: number): Anchor | undefined {
    if (from === NONE) return undefined;
    return from >= 0 ? { op: opExample(this.data, from) } : { read: this.reads[-from - 1] };
  }

  #pinIncrements(slotOf: (value: number) => number): void {
    const { outcomes, values, invokeUs, completeUs } = this.data;
    for (let i = 0; i < this.data.length; i++) {
      if (outcomes[i] !== Outcome.ok || Number.isNaN(values[i])) continue;
      const s = slotOf(values[i]);
      if (s < 1 || this.pinned[s] !== NONE) {
        this.impossibleCount++;
        continue;
      }
      this.pinned[s] = i;
      this.#raise(s, invokeUs[i], i);
      this.#cap(s, completeUs[i], i);
    }
  }

  #pinReads(slotOf: (value: number) => number): void {
    this.reads.forEach((read, k) => {
      const r = slotOf(read.value);
      if (r < 0) {
        this.impossibleCount++;
        return;
      }
      if (r >= 1) this.#cap(r, read.completeUs, -(k + 1));
      this.#raise(r + 1, read.invokeUs, -(k + 1));
    });
  }

  /** Times never decrease along the slots: lower bounds carry forward, upper bounds backward. */
  #propagate(): void {
    for (let s = 1; s < this.lower.length; s++) {
      if (this.lower[s - 1] > this.lower[s]) this.#raise(s, this.lower[s - 1], this.lowerFrom[s - 1]);
    }
    for (let s = this.upper.length - 2; s >= 1; s--) {
      if (this.upper[s + 1] < this.upper[s]) this.#cap(s, this.upper[s + 1], this.upperFrom[s + 1]);
    }
  }

  #raise(s: number, time: number, from: number): void {
    if (time <= this.lower[s]) return;
    this.lower[s] = time;
    this.lowerFrom[s] = from;
  }

  #cap(s: number, time: number, from: number): void {
    if (time >= this.upper[s]) return;
    this.upper[s] = time;
    this.upperFrom[s] = from;
  }
}

/** The unpinned slots and the increments without a value, each fitting a range of gaps. */
class GapMatching {
  /** Gap g is slot gapSlots[g]. */
  readonly #gapSlots: Int32Array;
  /** Increments that returned no value and may have taken effect (rows). */
  readonly #free: Int32Array;
  /** For free increment k: the first and last gap it fits (first > last: none). */
  readonly #first: Int32Array;
  readonly #last: Float64Array;
  /** For free increment k: when it ended (Infinity when its fate is unknown); orders the sweeps' heaps. */
  readonly #ends: Float64Array;
  /** Whether it must take effect (acknowledged) before the slots after the last read begin. */
  readonly #mustFit: Uint8Array;
  readonly #usedFor: Float64Array;

  constructor(
    private readonly data: HistoryData,
    private readonly slots: SlotBounds,
  ) {
    this.#gapSlots = gapSlotsOf(slots);
    this.#free = freeIncrements(data);
    const n = this.#free.length;
    this.#first = new Int32Array(n);
    this.#last = new Float64Array(n);
    this.#ends = new Float64Array(n);
    this.#mustFit = new Uint8Array(n);
    this.#usedFor = new Float64Array(n).fill(NaN);
    const gapCount = this.#gapSlots.length;
    const [gapLower, gapUpper] = [new Float64Array(gapCount), new Float64Array(gapCount)];
    for (let g = 0; g < gapCount; g++) {
      gapLower[g] = slots.lower[this.#gapSlots[g]];
      gapUpper[g] = slots.upper[this.#gapSlots[g]];
    }
    const { outcomes, invokeUs, completeUs } = data;
    const trailingLower = slots.trailingLower;
    for (let k = 0; k < n; k++) {
      const row = this.#free[k];
      const acknowledged = outcomes[row] === Outcome.ok;
      const ends = acknowledged ? completeUs[row] : Infinity;
      this.#first[k] = firstAtLeast(gapUpper, invokeUs[row]);
      this.#last[k] = firstAbove(gapLower, ends) - 1;
      this.#ends[k] = ends;
      this.#mustFit[k] = acknowledged && ends < trailingLower ? 1 : 0;
    }
  }

  /** Every gap gets an increment, earliest last-gap first (Glover's rule): fails only where no matching can. */
  fillEveryGap(result: LinearizabilityResult): void {
    this.#sweep(() => true, (g) => {
      result.skippedCount++;
      if (result.examples.length < maxExamples) result.examples.push(this.#skipped(g));
    });
  }

  /** Every acknowledged increment that must fit gets a gap of its own, earliest deadline first. */
  placeEveryAcknowledged(result: LinearizabilityResult): void {
    const unplaced = (k: number) => {
      result.unplacedCount++;
      if (result.examples.length < maxExamples) {
        result.examples.push({ kind: 'unplaced', op: opExample(this.data, this.#free[k]) });
      }
    };
    const left = this.#sweep((k) => this.#mustFit[k] === 1, () => {}, unplaced);
    for (const k of left) unplaced(k);
  }

  /**
   * Walks the gaps in order with the eligible increments that fit so far in a heap by last
   * gap: each gap takes the one that stops fitting soonest. Returns the eligible increments
   * never taken (those whose range starts after the last gap included).
   */
  #sweep(eligible: (k: number) => boolean, empty: (g: number) => void, expired: (k: number) => void = () => {}) {
    const order = this.#byFirstGap(eligible);
    const heap = new DeadlineHeap(this.#ends, order.length);
    let next = 0;
    const gapCount = this.#gapSlots.length;
    for (let g = 0; g < gapCount; g++) {
      while (next < order.length && this.#first[order[next]] <= g) heap.push(order[next++]);
      while (heap.size > 0 && this.#last[heap.peek()!] < g) expired(heap.pop()!);
      const k = heap.pop();
      if (k === undefined) empty(g);
      else this.#usedFor[k] = this.slots.initial + this.#gapSlots[g];
    }
    const left: number[] = [];
    for (let k = heap.pop(); k !== undefined; k = heap.pop()) left.push(k);
    for (; next < order.length; next++) left.push(order[next]);
    return left;
  }

  /** The eligible free increments sorted by first gap (a counting sort: gaps are small integers). */
  #byFirstGap(eligible: (k: number) => boolean): Int32Array {
    const counts = new Int32Array(this.#gapSlots.length + 2);
    let n = 0;
    for (let k = 0; k < this.#free.length; k++) {
      if (!eligible(k)) continue;
      counts[this.#first[k] + 1]++;
      n++;
    }
    for (let g = 1; g < counts.length; g++) counts[g] += counts[g - 1];
    const order = new Int32Array(n);
    for (let k = 0; k < this.#free.length; k++) if (eligible(k)) order[counts[this.#first[k]]++] = k;
    return order;
  }

  #skipped(g: number): SkippedValueExample {
    const s = this.#gapSlots[g];
    const { slots } = this;
    return {
      kind: 'skipped',
      value: slots.initial + s,
      after: slots.anchor(slots.lowerFrom[s]),
      before: slots.anchor(slots.upperFrom[s]),
      candidates: this.#candidates(g),
    };
  }

  /** Up to three increments without a value: those that fit gap g (all taken), else the nearest that do not. */
  #candidates(g: number): SkippedValueExample['candidates'] {
    const fitting: number[] = [];
    let nearest = -1;
    const distance = (k: number) => (this.#first[k] > g ? this.#first[k] - g : g - this.#last[k]);
    for (let k = 0; k < this.#free.length && fitting.length < 3; k++) {
      if (this.#first[k] <= g && g <= this.#last[k]) fitting.push(k);
      else if (nearest < 0 || distance(k) < distance(nearest)) nearest = k;
    }
    const chosen = fitting.length > 0 ? fitting : nearest >= 0 ? [nearest] : [];
    return chosen.map((k) => {
      const usedFor = this.#usedFor[k];
      const op = opExample(this.data, this.#free[k]);
      if (!Number.isNaN(usedFor)) return { op, usedFor, why: 'taken' as const };
      return { op, why: this.#first[k] > g ? ('late' as const) : ('early' as const) };
    });
  }
}

/** The slots no increment is pinned to, in order. */
function gapSlotsOf(slots: SlotBounds): Int32Array {
  let count = 0;
  for (let s = 1; s <= slots.lastSlot; s++) if (slots.pinned[s] === NONE) count++;
  const gaps = new Int32Array(count);
  for (let s = 1, g = 0; s <= slots.lastSlot; s++) if (slots.pinned[s] === NONE) gaps[g++] = s;
  return gaps;
}

/** Rows of the increments that returned no value and may have taken effect. */
function freeIncrements({ length, outcomes, values }: HistoryData): Int32Array {
  const isFree = (i: number) =>
    outcomes[i] === Outcome.indeterminate || (outcomes[i] === Outcome.ok && Number.isNaN(values[i]));
  let count = 0;
  for (let i = 0; i < length; i++) if (isFree(i)) count++;
  const rows = new Int32Array(count);
  for (let i = 0, k = 0; i < length; i++) if (isFree(i)) rows[k++] = i;
  return rows;
}

/** The first index whose (non-decreasing) value is >= `x`. */
function firstAtLeast(sorted: Float64Array, x: number): number {
  let [low, high] = [0, sorted.length];
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle] < x) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The first index whose (non-decreasing) value is > `x`. */
function firstAbove(sorted: Float64Array, x: number): number {
  let [low, high] = [0, sorted.length];
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle] <= x) low = middle + 1;
    else high = middle;
  }
  return low;
}
