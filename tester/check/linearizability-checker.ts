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
 *
 * Streaming: a history with a duplicate, a stale call, a value out of range or a wrong count is
 * not linearizable, and those checks say why; this one decides the histories they all pass.
 * There, slots close in order as values do (value-window.ts): a closed slot's bounds are final
 * (a later call pinned at or below it would be stale) and so is every increment that could fill
 * it (each began before the bound). So the sweeps run as slots close, and memory holds only the
 * increments without a value that a gap to come could still take, never the run: one that can
 * take any later gap (of unknown fate, no end) is counted, not kept (see #takeOpen).
 */
import { maxExamples, type CheckResult } from './check-result.js';
import { MinHeap } from './min-heap.js';
import type { ValueEntry } from './value-window.js';
import type { OpExample } from './witness.js';

/** A read of the count after the load: its value and its call's times (same clock as the ops). */
export interface ReadWindow {
  value: number;
  invokeUs: number;
  completeUs: number;
}

/** What bounds a slot's time: an increment pinned to a value, or a read. */
export type Anchor = { op: OpExample } | { read: ReadWindow };

/** A value between others that no increment could have produced. */
export interface SkippedValueExample {
  kind: 'skipped';
  value: number;
  /** What began last among everything that had to take effect before it. */
  after?: Anchor;
  /** What ended first among everything that had to take effect after it. */
  before?: Anchor;
  /**
   * Increments that returned no value near its window, and why none could produce it: each
   * was needed for another value, began too late, or ended too early.
   */
  candidates: { op: OpExample; usedFor?: number; why: 'taken' | 'late' | 'early' }[];
}

/** An acknowledged increment that returned no value and for which no value is left. */
export interface UnplacedExample {
  kind: 'unplaced';
  op: OpExample;
}

/** A value whose time window is empty: what pins it from below began after what pins it from above ended. */
export interface ConflictExample {
  kind: 'conflict';
  value: number;
  after: Anchor;
  before: Anchor;
}

export type LinearizabilityExample = SkippedValueExample | UnplacedExample | ConflictExample;

export interface LinearizabilityResult extends CheckResult {
  /** Values (gaps) that no increment could have produced. */
  skippedCount: number;
  /** Acknowledged increments without a value that fit no free value. */
  unplacedCount: number;
  /** Values whose anchors cannot be ordered in time. */
  conflictCount: number;
  /** Values repeated or outside what the increments allow. */
  impossibleCount: number;
  examples: LinearizabilityExample[];
}

/** A slot's time bound and what set it: a pinned increment or a read (none: no bound). */
interface Bound {
  time: number;
  by?: OpExample | ReadWindow;
}

/** Consecutive gaps (unpinned slots) with the same bounds. */
interface GapRun {
  slot: number;
  count: number;
  /** The index of its first gap among all gaps. */
  firstGap: number;
  lower: Bound;
  upper: Bound;
}

/** A skipped value's witness, its nearest candidate still open: a call offered later may be nearer. */
interface SkippedWitness {
  example: SkippedValueExample;
  gap: number;
  /** Set while no call fits the gap: the nearest of the calls that ended before it, by gaps. */
  nearest?: { call?: FreeCall; distance: number };
}

/** An increment that returned no value and may have taken effect. */
interface FreeCall {
  /** Its place among the free calls (row order): ties go to the earlier. */
  k: number;
  op: OpExample;
  acknowledged: boolean;
  /** Its completion; Infinity when its fate is unknown. */
  endUs: number;
  /** The value the gap-filling sweep gave it, and at which gap. */
  usedFor: number;
  usedAtGap: number;
  /** The first gap it fits (set when offered) and the last (set when a gap's lower bound passes its end). */
  firstGap: number;
  lastGap: number;
}

/** What set a bound: a pinned increment or a read; none for no bound. */
type Anchoring = OpExample | ReadWindow | undefined;

/**
 * The slots where bounds change, in order, as columns (a close decides thousands of pins at
 * once): what each raises and caps, whether a pin is there, and the upper bound carried down to
 * it. Anchors are kept apart, by index.
 */
class Breakpoints {
  length = 0;
  readonly slots: Float64Array;
  readonly pinned: Uint8Array;
  readonly raiseTime: Float64Array;
  readonly capTime: Float64Array;
  readonly upperTime: Float64Array;
  /** Indices into `anchors` (-1: none). */
  readonly raiseBy: Int32Array;
  readonly capBy: Int32Array;
  readonly upperBy: Int32Array;
  readonly anchors: Anchoring[] = [];

  constructor(capacity: number) {
    this.slots = new Float64Array(capacity);
    this.pinned = new Uint8Array(capacity);
    this.raiseTime = new Float64Array(capacity);
    this.capTime = new Float64Array(capacity);
    this.upperTime = new Float64Array(capacity);
    this.raiseBy = new Int32Array(capacity);
    this.capBy = new Int32Array(capacity);
    this.upperBy = new Int32Array(capacity);
  }

  /** Appends a slot, or tightens the last one when it is the same slot (strictly: the first anchor names a tie). */
  add(slot: number, pinned: boolean, raise: number, cap: number, by: Anchoring): void {
    const anchor = this.anchors.push(by) - 1;
    const last = this.length - 1;
    if (last >= 0 && this.slots[last] === slot) {
      if (raise > this.raiseTime[last]) [this.raiseTime[last], this.raiseBy[last]] = [raise, anchor];
      if (cap < this.capTime[last]) [this.capTime[last], this.capBy[last]] = [cap, anchor];
      if (pinned) this.pinned[last] = 1;
      return;
    }
    const i = this.length++;
    this.slots[i] = slot;
    this.pinned[i] = pinned ? 1 : 0;
    this.raiseTime[i] = raise;
    this.raiseBy[i] = raise === -Infinity ? -1 : anchor;
    this.capTime[i] = cap;
    this.capBy[i] = cap === Infinity ? -1 : anchor;
  }

  /** Upper bounds carried down from the last slot; a slot's own anchor names a tie. */
  carryUppers(): void {
    let time = Infinity;
    let by = -1;
    for (let i = this.length - 1; i >= 0; i--) {
      if (this.capBy[i] >= 0 && this.capTime[i] <= time) {
        time = this.capTime[i];
        by = this.capBy[i];
      }
      this.upperTime[i] = time;
      this.upperBy[i] = by;
    }
  }

  upper(i: number): Bound {
    return { time: this.upperTime[i], by: this.anchor(this.upperBy[i]) };
  }

  anchor(index: number): Anchoring {
    return index < 0 ? undefined : this.anchors[index];
  }
}

const byInvoke = (a: FreeCall, b: FreeCall) => a.op.invokeUs < b.op.invokeUs || (a.op.invokeUs === b.op.invokeUs && a.k < b.k);
const byEnd = (a: FreeCall, b: FreeCall) => a.endUs < b.endUs || (a.endUs === b.endUs && a.k < b.k);

export class LinearizabilityChecker {
  /** Set once another check shows the history is not linearizable: nothing more to keep. */
  #implied = false;
  /** Slots 1..closedSlot are decided; `#lower` is the bound carried past them. */
  #closedSlot = 0;
  #lower: Bound = { time: -Infinity };
  #gapCount = 0;
  /** Closed values not yet decided, in value order. */
  #waitingPins: ValueEntry[] = [];
  #freeCount = 0;
  /** Free calls not yet offered to a gap, by invoke (acknowledged, of unknown fate); then the two sweeps' heaps, by deadline. */
  #waiting = new MinHeap(byInvoke);
  #waitingOpen = new MinHeap(byInvoke);
  /** The first by row of the calls of unknown fate offered ahead of the next gap run (see #offerAhead). */
  #offeredAhead: FreeCall | undefined;
  #fillHeap = new MinHeap(byEnd);
  #placeHeap = new MinHeap(byEnd);
  /**
   * Offered calls that end (taken or not) and fit the gaps at hand, by end: the candidates of a
   * skipped value's witness. One leaves when a gap's lower bound passes its end.
   */
  #fitting = new MinHeap(byEnd);
  /** The call that stopped fitting last (the latest last gap, then the first row): the nearest before a gap. */
  #lastEnded: FreeCall | undefined;
  /** Offered calls of unknown fate not yet taken: each fits every gap to come, so a count is enough. */
  #openCount = 0;
  /** The first three offered calls of unknown fate, by row: the only ones a witness can name among them. */
  #firstOpen: FreeCall[] = [];
  #conflictCount = 0;
  #skippedCount = 0;
  #unplacedCount = 0;
  #conflicts: ConflictExample[] = [];
  #skipped: SkippedWitness[] = [];
  #unplaced: OpExample[] = [];

  /** Reads of the count known before the calls (all of them, for a history already whole). */
  readonly #reads: ReadWindow[];

  constructor(
    readonly initial: number,
    reads: readonly ReadWindow[] = [],
  ) {
    this.#reads = [...reads];
  }

  /** Another check found a violation: this one has nothing to add. */
  imply(): void {
    if (this.#implied) return;
    this.#implied = true;
    [this.#waitingPins, this.#firstOpen, this.#skipped] = [[], [], []];
    this.#waiting = this.#waitingOpen = this.#fillHeap = this.#placeHeap = this.#fitting = new MinHeap(byEnd);
    this.#lastEnded = this.#offeredAhead = undefined;
  }

  /** An increment that returned no value: acknowledged, or of unknown fate. */
  addFree(op: OpExample, acknowledged: boolean): void {
    if (this.#implied) return;
    const endUs = acknowledged ? op.completeUs : Infinity;
    const call = { k: this.#freeCount++, op, acknowledged, endUs, usedFor: NaN, usedAtGap: Infinity, firstGap: Infinity, lastGap: Infinity };
    (acknowledged ? this.#waiting : this.#waitingOpen).push(call);
  }

  /**
   * Values closed: `pins` are their entries, in value order. `leader`, when given, is a value among
   * them returned by a call that ended before every call to come began, so every other call above
   * it ended later: the slots up to it are decided, since no call to come, and no pin above,
   * could change their bounds. Without it the pins wait for a later close.
   */
  closed(pins: readonly ValueEntry[], leader?: number): void {
    if (this.#implied) return;
    if (pins.some((pin) => pin.times > 1)) return this.imply();
    for (const pin of pins) this.#waitingPins.push(pin);
    if (leader === undefined || this.#waitingPins.length === 0) return;
    const deciding = this.#waitingPins;
    this.#waitingPins = [];
    this.#closeSlots(deciding, leader - this.initial, this.#reads);
  }

  /**
   * The verdict, once every call is in: `open` are the values still open, `reads` every read of
   * the count, `possible` the increments that may have taken effect.
   */
  result(open: Iterable<ValueEntry>, odd: Iterable<ValueEntry>, reads: readonly ReadWindow[], possible: number): LinearizabilityResult {
    if (this.#implied) return impliedResult();
    const known = (read: ReadWindow) =>
      this.#reads.some((r) => r.value === read.value && r.invokeUs === read.invokeUs && r.completeUs === read.completeUs);
    this.#reads.push(...reads.filter((read) => !known(read)));
    let impossible = 0;
    for (const entry of odd) impossible += entry.times;
    const slotOf = (value: number) => {
      const s = value - this.initial;
      return Number.isInteger(s) && s >= 0 && s <= possible ? s : -1;
    };
    const pins: ValueEntry[] = [];
    for (const entry of [...this.#waitingPins, ...open]) {
      if (slotOf(entry.value) < 1) impossible += entry.times;
      else {
        impossible += entry.times - 1;
        pins.push(entry);
      }
    }
    pins.sort((a, b) => a.value - b.value);
    const possibleReads = this.#reads.filter((read) => slotOf(read.value) >= 0);
    impossible += this.#reads.length - possibleReads.length;
    const lastPin = pins.length > 0 ? pins[pins.length - 1].value - this.initial : 0;
    const lastSlot = Math.max(this.#closedSlot, lastPin, ...possibleReads.map((read) => slotOf(read.value)));
    const trailing = this.#closeSlots(pins, lastSlot, possibleReads);
    const neverOffered = [...this.#waiting, ...this.#waitingOpen, ...(this.#offeredAhead ? [this.#offeredAhead] : [])];
    this.#settleNearest(this.#gapCount, neverOffered);
    this.#placeLeftovers(trailing.time);
    const examples = [...this.#conflicts, ...this.#skipped.map(({ example }) => example), ...this.#unplaced.map((op) => ({ kind: 'unplaced' as const, op }))];
    const wrong = this.#skippedCount + this.#unplacedCount + this.#conflictCount + impossible;
    return {
      valid: wrong === 0,
      skippedCount: this.#skippedCount,
      unplacedCount: this.#unplacedCount,
      conflictCount: this.#conflictCount,
      impossibleCount: impossible,
      examples: examples.slice(0, maxExamples),
    };
  }

  /**
   * Decides slots closedSlot+1..lastSlot from the anchors among them: bounds, conflicts, and the
   * gaps offered to the sweeps. Returns the lower bound carried past lastSlot.
   */
  #closeSlots(pins: readonly ValueEntry[], lastSlot: number, reads: readonly ReadWindow[]): Bound {
    const points = this.#breakpoints(pins, lastSlot, reads);
    points.carryUppers();
    let next = this.#closedSlot + 1;
    let trailing: Bound | undefined;
    let lowerTime = this.#lower.time;
    let lowerBy = -1; // -1: still this.#lower's anchor
    const lower = (): Bound => (lowerBy < 0 ? this.#lower : { time: lowerTime, by: points.anchor(lowerBy) });
    for (let i = 0; i < points.length; i++) {
      const slot = points.slots[i];
      if (slot > next) {
        this.#lower = lower();
        this.#slots(next, Math.min(slot, lastSlot + 1) - 1, false, points.upper(i));
      }
      // A slot's own anchor names a tie.
      const raised = points.raiseBy[i] >= 0 && points.raiseTime[i] >= lowerTime;
      if (slot > lastSlot) {
        trailing = raised ? { time: points.raiseTime[i], by: points.anchor(points.raiseBy[i]) } : lower();
        next = lastSlot + 1;
        break;
      }
      if (raised) [lowerTime, lowerBy] = [points.raiseTime[i], points.raiseBy[i]];
      const pinned = points.pinned[i] === 1;
      if (!pinned || lowerTime > points.upperTime[i]) {
        this.#lower = lower();
        this.#slots(slot, slot, pinned, points.upper(i));
      }
      next = slot + 1;
    }
    this.#lower = lower();
    if (lastSlot >= next) this.#slots(next, lastSlot, false, { time: Infinity });
    this.#closedSlot = Math.max(this.#closedSlot, lastSlot);
    this.#offerAhead();
    return trailing ?? this.#lower;
  }

  /**
   * Calls of unknown fate that began by the lower bound carried past the closed slots: every gap
   * to come has its upper bound at or after that (or a conflict, and another check's verdict), so
   * they join at the next gap run, whose first gap is the gap count now. Offered now, they are
   * counted rather than kept, even while no gap comes (a correct run's calls that timed out).
   */
  #offerAhead(): void {
    while (this.#waitingOpen.size > 0 && this.#waitingOpen.peek()!.op.invokeUs <= this.#lower.time) {
      const call = this.#waitingOpen.pop()!;
      this.#join(call, this.#gapCount);
      if (this.#offeredAhead === undefined || call.k < this.#offeredAhead.k) this.#offeredAhead = call;
    }
  }

  /** The slots where bounds change up to lastSlot + 1, in order: pins, then reads, at each. */
  #breakpoints(pins: readonly ValueEntry[], lastSlot: number, reads: readonly ReadWindow[]): Breakpoints {
    const readPoints = this.#readPoints(lastSlot, reads);
    const points = new Breakpoints(pins.length + readPoints.length);
    let r = 0;
    const addReadsUpTo = (slot: number) => {
      for (; r < readPoints.length && readPoints[r].slot <= slot; r++) {
        const { slot: at, raise, cap } = readPoints[r];
        points.add(at, false, raise.time, cap.time, raise.by ?? cap.by);
      }
    };
    for (const pin of pins) {
      const slot = pin.value - this.initial;
      if (slot <= this.#closedSlot || slot > lastSlot) continue;
      if (readPoints.length > 0) addReadsUpTo(slot - 1);
      const op = pin.ops[0];
      points.add(slot, true, op.invokeUs, op.completeUs, op);
      if (readPoints.length > 0) addReadsUpTo(slot);
    }
    addReadsUpTo(Infinity);
    return points;
  }

  /** Where the reads bound slots within closedSlot+1..lastSlot+1: a cap at their value, a raise after it. */
  #readPoints(lastSlot: number, reads: readonly ReadWindow[]): { slot: number; raise: Bound; cap: Bound }[] {
    const points: { slot: number; raise: Bound; cap: Bound }[] = [];
    for (const read of reads) {
      const r = read.value - this.initial;
      if (r >= 1 && r > this.#closedSlot && r <= lastSlot + 1) {
        points.push({ slot: r, raise: { time: -Infinity }, cap: { time: read.completeUs, by: read } });
      }
      if (r + 1 > this.#closedSlot && r + 1 <= lastSlot + 1) {
        points.push({ slot: r + 1, raise: { time: read.invokeUs, by: read }, cap: { time: Infinity } });
      } else if (r + 1 <= this.#closedSlot && read.invokeUs > this.#lower.time) this.#lower = { time: read.invokeUs, by: read };
    }
    return points.sort((a, b) => a.slot - b.slot);
  }

  /** Slots from..to, all pinned or all gaps, with the carried lower bound and `upper`. */
  #slots(from: number, to: number, pinned: boolean, upper: Bound): void {
    const count = to - from + 1;
    if (count <= 0) return;
    const lower = this.#lower;
    if (lower.time > upper.time) {
      this.#conflictCount += count;
      for (let s = from; s <= to && this.#conflicts.length < maxExamples; s++) {
        this.#conflicts.push({ kind: 'conflict', value: this.initial + s, after: anchorOf(lower)!, before: anchorOf(upper)! });
      }
    }
    if (!pinned) this.#sweep({ slot: from, count, firstGap: this.#gapCount, lower, upper });
  }

  /**
   * Offers a run of gaps to both sweeps: every gap takes the fitting free call that stops fitting
   * soonest (Glover's rule), and so does every acknowledged one, separately.
   */
  #sweep(run: GapRun): void {
    this.#gapCount += run.count;
    this.#offer(run);
    const expired = (call: FreeCall | undefined) => call !== undefined && call.endUs < run.lower.time;
    for (let j = 0; j < run.count; j++) {
      while (expired(this.#fillHeap.peek())) this.#fillHeap.pop();
      while (expired(this.#placeHeap.peek())) this.#unplace(this.#placeHeap.pop()!.op);
      this.#placeHeap.pop();
      const filler = this.#fillHeap.pop();
      if (filler !== undefined) this.#use(filler, run, j);
      else if (this.#openCount > 0) this.#takeOpen(run, j);
      else if (this.#placeHeap.size === 0) {
        // Both heaps are empty and nothing joins them within the run: every gap left is skipped.
        return this.#skip(run, j, run.count - j);
      } else this.#skip(run, j, 1);
    }
  }

  #use(call: FreeCall, run: GapRun, j: number): void {
    call.usedFor = this.initial + run.slot + j;
    call.usedAtGap = run.firstGap + j;
  }

  /**
   * The calls that began by the run's upper bound join the sweeps (their first gap is the run's),
   * and those that ended before its lower bound leave the witnesses' candidates, with their last gap.
   */
  #offer(run: GapRun): void {
    const offered = this.#offeredAhead ? [this.#offeredAhead] : [];
    this.#offeredAhead = undefined;
    for (const waiting of [this.#waiting, this.#waitingOpen]) {
      while (waiting.size > 0 && waiting.peek()!.op.invokeUs <= run.upper.time) {
        const call = waiting.pop()!;
        this.#join(call, run.firstGap);
        offered.push(call);
      }
    }
    this.#settleNearest(run.firstGap, offered);
    while (this.#fitting.size > 0 && this.#fitting.peek()!.endUs < run.lower.time) {
      const call = this.#fitting.pop()!;
      // The run before had its lower bound at or before the call's end, unless its lower bound was past
      // its upper (a conflict): then a call is stale and the verdict another check's (imply).
      call.lastGap = run.firstGap - 1;
      const last = this.#lastEnded;
      if (last === undefined || call.lastGap > last.lastGap || (call.lastGap === last.lastGap && call.k < last.k)) this.#lastEnded = call;
    }
  }

  /** A call offered at `firstGap`: to the sweeps if it ends, to the count if its fate is unknown. */
  #join(call: FreeCall, firstGap: number): void {
    call.firstGap = firstGap;
    if (call.endUs === Infinity) return this.#offerOpen(call);
    this.#fillHeap.push(call);
    this.#fitting.push(call);
    if (call.acknowledged) this.#placeHeap.push(call);
  }

  #offerOpen(call: FreeCall): void {
    this.#openCount++;
    const first = this.#firstOpen;
    if (first.length < 3) first.push(call);
    else if (call.k < first[2].k) first[2] = call;
    else return;
    first.sort((a, b) => a.k - b.k);
  }

  /**
   * A call of unknown fate for gap j, when no call that ends is left: Glover's rule takes the first
   * by row, which is among the first three whenever one of them is still free; any other is
   * never named by a witness, so only the count moves.
   */
  #takeOpen(run: GapRun, j: number): void {
    this.#openCount--;
    const first = this.#firstOpen.find((call) => call.usedAtGap === Infinity);
    if (first !== undefined) this.#use(first, run, j);
  }

  /**
   * Witnesses still waiting for their nearest candidate: `calls` are first offered at gap `firstGap`
   * (the gap count: never), so the first of them by row is the nearest after every gap before it.
   */
  #settleNearest(firstGap: number, calls: readonly FreeCall[]): void {
    if (calls.length === 0) return;
    const first = calls.reduce((a, b) => (b.k < a.k ? b : a));
    for (const witness of this.#skipped) {
      const { nearest, gap } = witness;
      if (nearest === undefined) continue;
      const distance = firstGap - gap;
      const later = distance < nearest.distance || (distance === nearest.distance && first.k < nearest.call!.k);
      witness.example.candidates = [this.#candidate(later ? first : nearest.call!, gap)];
      witness.nearest = undefined;
    }
  }

  #skip(run: GapRun, from: number, count: number): void {
    this.#skippedCount += count;
    for (let j = from; j < from + count && this.#skipped.length < maxExamples; j++) {
      this.#skipped.push(this.#witness(run, run.firstGap + j, run.slot + j));
    }
  }

  /**
   * A skipped value's witness: up to three calls that fit its gap (all taken), else the nearest
   * that does not (by gaps, then row), which a call offered later may still be.
   */
  #witness(run: GapRun, gap: number, slot: number): SkippedWitness {
    const example: SkippedValueExample = {
      kind: 'skipped',
      value: this.initial + slot,
      after: anchorOf(run.lower),
      before: anchorOf(run.upper),
      candidates: [],
    };
    const fitting = [...this.#fitting, ...this.#firstOpen].sort((a, b) => a.k - b.k).slice(0, 3);
    if (fitting.length > 0) {
      example.candidates = fitting.map((call) => this.#candidate(call, gap));
      return { example, gap };
    }
    const before = this.#lastEnded;
    if (before !== undefined) example.candidates = [this.#candidate(before, gap)];
    return { example, gap, nearest: { call: before, distance: before === undefined ? Infinity : gap - before.lastGap } };
  }

  #candidate(call: FreeCall, gap: number): SkippedValueExample['candidates'][number] {
    if (call.usedAtGap < gap) return { op: call.op, usedFor: call.usedFor, why: 'taken' };
    return { op: call.op, why: call.firstGap > gap ? 'late' : 'early' };
  }

  #unplace(op: OpExample): void {
    this.#unplacedCount++;
    if (this.#unplaced.length < maxExamples) this.#unplaced.push(op);
  }

  /**
   * Acknowledged calls no gap took, those still in the sweep by deadline then those no gap was
   * offered to: each had to take effect before the last read's slot began (`trailingUs`).
   */
  #placeLeftovers(trailingUs: number): void {
    const left: FreeCall[] = [];
    for (let call = this.#placeHeap.pop(); call !== undefined; call = this.#placeHeap.pop()) left.push(call);
    const neverOffered = [...this.#waiting].sort((a, b) => a.k - b.k);
    for (const call of [...left, ...neverOffered]) if (call.endUs < trailingUs) this.#unplace(call.op);
  }
}

function anchorOf({ by }: Bound): Anchor | undefined {
  if (by === undefined) return undefined;
  return 'clientId' in by ? { op: by } : { read: by };
}

function impliedResult(): LinearizabilityResult {
  const reason = 'not linearizable: the checks above show why';
  return { valid: false, reason, skippedCount: 0, unplacedCount: 0, conflictCount: 0, impossibleCount: 0, examples: [] };
}
