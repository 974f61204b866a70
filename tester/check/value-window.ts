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

/** The ring holds open values at most this far above the closed ones (a correct counter's are within the calls in flight). */
const maxRing = 1 << 20;

/** What the range check needs of a value: its first ten calls (the first ten out of range are among them). */
export const keptOpsPerValue = 10;

export class ValueWindow {
  /** Open values near the closed ones, by value - closedUpTo - 1 around a ring; the rest in `far`. */
  #ring: (ValueEntry | undefined)[] = new Array(1024);
  #ringStart = 0;
  readonly #far = new Map<number, ValueEntry>();
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
      this.#recordOpen(value, op);
      return false;
    }
    const entry = this.late.get(value) ?? { value, times: 0, ops: [], wasHole: this.#fillHole(value) };
    this.late.set(value, entry);
    note(entry, op);
    return true;
  }

  /** The values still open, in no particular order. */
  *open(): Generator<ValueEntry> {
    for (const entry of this.#ring) if (entry !== undefined) yield entry;
    yield* this.#far.values();
  }

  /**
   * Closes the whole values up to `upTo`: returns the open entries among them in value order,
   * and records the values between them that nobody returned as holes.
   */
  close(upTo: number): ValueEntry[] {
    if (upTo <= this.closedUpTo) return [];
    const closing: ValueEntry[] = [];
    const size = this.#ring.length;
    const span = Math.min(upTo - this.closedUpTo, size);
    for (let k = 0; k < span; k++) {
      const at = (this.#ringStart + k) & (size - 1);
      const entry = this.#ring[at];
      if (entry === undefined) continue;
      closing.push(entry);
      this.#ring[at] = undefined;
    }
    this.#ringStart = (this.#ringStart + span) & (size - 1);
    if (this.#far.size > 0) this.#closeFar(upTo, closing);
    let next = this.closedUpTo + 1;
    for (const entry of closing) {
      if (entry.value > next) this.#addHole(next, entry.value - 1);
      next = entry.value + 1;
    }
    if (upTo >= next && Number.isFinite(upTo)) this.#addHole(next, upTo);
    this.closedUpTo = upTo;
    this.#refill();
    return closing;
  }

  #recordOpen(value: number, op: OpExample): void {
    const offset = value - this.closedUpTo - 1;
    if (offset >= this.#ring.length && offset < maxRing) this.#grow(offset);
    if (offset >= this.#ring.length) return record(this.#far, value, op);
    const at = (this.#ringStart + offset) & (this.#ring.length - 1);
    let entry = this.#ring[at];
    if (entry === undefined) this.#ring[at] = entry = { value, times: 0, ops: [] };
    note(entry, op);
  }

  /** The ring doubled until `offset` fits, keeping each entry at its offset from the closed values. */
  #grow(offset: number): void {
    let size = this.#ring.length;
    while (size <= offset) size *= 2;
    const ring: (ValueEntry | undefined)[] = new Array(size);
    for (let k = 0; k < this.#ring.length; k++) ring[k] = this.#ring[(this.#ringStart + k) & (this.#ring.length - 1)];
    [this.#ring, this.#ringStart] = [ring, 0];
  }

  /** Far values that closed join the closing ones, in value order. */
  #closeFar(upTo: number, closing: ValueEntry[]): void {
    let moved = false;
    for (const [value, entry] of this.#far) {
      if (value > upTo) continue;
      closing.push(entry);
      this.#far.delete(value);
      moved = true;
    }
    if (moved) closing.sort((a, b) => a.value - b.value);
  }

  /** Far values the ring now reaches move into it. */
  #refill(): void {
    for (const [value, entry] of this.#far) {
      const offset = value - this.closedUpTo - 1;
      if (offset >= this.#ring.length) continue;
      this.#ring[(this.#ringStart + offset) & (this.#ring.length - 1)] = entry;
      this.#far.delete(value);
    }
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
