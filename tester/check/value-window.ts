/**
 * Every value the increments returned, kept as the checks need them and no longer. A value
 * closes once a call that returned a larger one had completed before every call still in flight
 * began: from then on, a call returning it again is stale (and the checks say so), so a correct
 * counter's values need no memory once closed. What stays: the values still open (a latency
 * window), the odd ones that never close (at or below the initial count, not whole numbers), the
 * closed values no call returned (holes, as ranges: left by increments of unknown fate), and the
 * values that came back after they closed (late).
 */
import type { OpExample } from './witness.js';

/** A value with how many calls returned it and the first of them, in row order. */
export interface ValueEntry {
  value: number;
  times: number;
  ops: OpExample[];
}

/** What the range check needs of a value: its first ten calls (the first ten out of range are among them). */
export const keptOpsPerValue = 10;

export class ValueWindow {
  readonly open = new Map<number, ValueEntry>();
  readonly odd = new Map<number, ValueEntry>();
  /** Returned after closing: `wasHole` when no call had returned it before it closed. */
  readonly late = new Map<number, ValueEntry & { wasHole: boolean }>();
  /** Whole values in (initial, closedUpTo] are closed. */
  closedUpTo: number;
  /** Closed values nobody returned, as sorted disjoint ranges [from, to]. */
  readonly #holeFrom: number[] = [];
  readonly #holeTo: number[] = [];

  constructor(readonly initial: number) {
    this.closedUpTo = initial;
  }

  /** Files one acknowledged call's value; true when it came back after its value closed. */
  add(op: OpExample): boolean {
    const { value } = op;
    if (!Number.isInteger(value) || value <= this.initial) {
      record(this.odd, value, op);
      return false;
    }
    if (value > this.closedUpTo) {
      record(this.open, value, op);
      return false;
    }
    const entry = this.late.get(value) ?? { value, times: 0, ops: [], wasHole: this.#fillHole(value) };
    this.late.set(value, entry);
    note(entry, op);
    return true;
  }

  /**
   * Closes the whole values up to `upTo`: returns the open entries among them in value order,
   * and records the values between them that nobody returned as holes.
   */
  close(upTo: number): ValueEntry[] {
    if (upTo <= this.closedUpTo) return [];
    const closing: ValueEntry[] = [];
    for (const entry of this.open.values()) if (entry.value <= upTo) closing.push(entry);
    closing.sort((a, b) => a.value - b.value);
    let next = this.closedUpTo + 1;
    for (const entry of closing) {
      this.open.delete(entry.value);
      if (entry.value > next) this.#addHole(next, entry.value - 1);
      next = entry.value + 1;
    }
    if (upTo >= next && Number.isFinite(upTo)) this.#addHole(next, upTo);
    this.closedUpTo = upTo;
    return closing;
  }

  #addHole(from: number, to: number): void {
    this.#holeFrom.push(from);
    this.#holeTo.push(to);
  }

  /** Whether `value` was a hole; if so it is one no longer. */
  #fillHole(value: number): boolean {
    let [low, high] = [0, this.#holeFrom.length];
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.#holeTo[middle] < value) low = middle + 1;
      else high = middle;
    }
    if (low === this.#holeFrom.length || this.#holeFrom[low] > value) return false;
    const [from, to] = [this.#holeFrom[low], this.#holeTo[low]];
    const [left, right] = [from <= value - 1, value + 1 <= to];
    if (left && right) {
      this.#holeTo[low] = value - 1;
      this.#holeFrom.splice(low + 1, 0, value + 1);
      this.#holeTo.splice(low + 1, 0, to);
    } else if (left) this.#holeTo[low] = value - 1;
    else if (right) this.#holeFrom[low] = value + 1;
    else {
      this.#holeFrom.splice(low, 1);
      this.#holeTo.splice(low, 1);
    }
    return true;
  }
}

function record(entries: Map<number, ValueEntry>, value: number, op: OpExample): void {
  let entry = entries.get(value);
  if (entry === undefined) entries.set(value, (entry = { value, times: 0, ops: [] }));
  note(entry, op);
}

function note(entry: ValueEntry, op: OpExample): void {
  entry.times++;
  if (entry.ops.length < keptOpsPerValue) entry.ops.push(op);
}
