/**
 * Several segments' histories judged as one (`tester check A B ...`): each segment's calls come
 * in its own completion order, on its own host's clock. Put on the reference clock (`offsetsUs`)
 * and widened by half the clock uncertainty on each side, two calls of different segments are in
 * real-time order only when one ended before the other began by more than any skew; merged into
 * one completion order, the union goes to the checkers as one run's calls would.
 *
 * Within a segment the clock is one: each segment's own calls also go, unwidened, to a real-time
 * order checker of their own, so that a stale answer closer than the skew to the call it follows
 * is still caught there (`segmentOrder`).
 */
import type { CallBatch, CallSink } from './call-batch.js';
import { Outcome } from './history.js';
import { RealTimeOrderChecker } from './real-time-order-checker.js';
import { opAt, type OpExample, type StaleExample } from './witness.js';

const batchCalls = 4096;

/** Two segments made calls as one client: they are not shares of one run. */
export class SegmentClash extends Error {
  constructor(
    readonly clientId: number,
    readonly first: number,
    readonly second: number,
  ) {
    super(`client ${clientId} made calls in two segments`);
  }
}

/**
 * One segment's calls not yet merged: on its own clock until the segments are placed on the
 * reference clock (every segment's first lines read), then moved there and widened.
 */
class SegmentQueue {
  readonly batches: CallBatch[] = [];
  /** The next call of batches[0]. */
  at = 0;
  /** No call of this segment still to come ends before this (its latest completion so far). */
  lastCompleteUs = -Infinity;
  /** No call of this segment still to come began before this. */
  pendingSinceUs = -Infinity;
  ended = false;
  offsetUs = 0;
  widenUs = 0;
  placed = false;
  readonly order = new RealTimeOrderChecker();

  add(batch: CallBatch): void {
    if (batch.length === 0) return;
    const kept = copy(batch);
    for (let i = 0; i < batch.length; i++) {
      const valued = batch.outcomes[i] === Outcome.ok && !Number.isNaN(batch.values[i]);
      kept.staleInSegment![i] = valued && this.order.add(opAt(batch, i)) ? 1 : 0;
    }
    if (this.placed) this.#move(kept);
    this.batches.push(kept);
    this.lastCompleteUs = kept.completeUs[kept.length - 1];
    this.pendingSinceUs = batch.pendingSinceUs + (this.placed ? this.offsetUs - this.widenUs : 0);
  }

  /** Moves what waits, and all that comes later, onto the reference clock. */
  place(offsetUs: number, widenUs: number): void {
    [this.offsetUs, this.widenUs, this.placed] = [offsetUs, widenUs, true];
    this.batches.forEach((batch) => this.#move(batch));
    this.lastCompleteUs += offsetUs + widenUs;
    this.pendingSinceUs += offsetUs - widenUs;
  }

  end(): void {
    this.ended = true;
  }

  /** No call still to come ends before this. */
  boundUs(): number {
    return this.ended ? Infinity : this.lastCompleteUs;
  }

  #move(batch: CallBatch): void {
    for (let i = 0; i < batch.length; i++) {
      batch.invokeUs[i] += this.offsetUs - this.widenUs;
      batch.completeUs[i] += this.offsetUs + this.widenUs;
    }
  }

  /** A call of this segment named on the reference clock, as the union names its calls. */
  moved(op: OpExample): OpExample {
    const invokeUs = op.invokeUs + this.offsetUs - this.widenUs;
    return { ...op, invokeUs, completeUs: op.completeUs + this.offsetUs + this.widenUs };
  }

  /** The completion of the next call to merge (one must wait). */
  headCompleteUs(): number {
    return this.batches[0].completeUs[this.at];
  }

  /** The earliest invoke among the calls not merged yet, those still to come included. */
  earliestInvokeUs(): number {
    let earliest = this.ended ? Infinity : this.pendingSinceUs;
    this.batches.forEach((batch, b) => {
      for (let i = b === 0 ? this.at : 0; i < batch.length; i++) earliest = Math.min(earliest, batch.invokeUs[i]);
    });
    return earliest;
  }

  next(): void {
    if (++this.at < this.batches[0].length) return;
    this.batches.shift();
    this.at = 0;
  }
}

export class SegmentMerge {
  readonly #queues: SegmentQueue[];
  /** Segments number their clients apart: each client's segment, as its calls came. */
  readonly #segmentOf = new Map<number, number>();
  readonly #out = newBatch();
  #row = 0;
  #sink: CallSink | undefined;

  constructor(segments: number) {
    this.#queues = Array.from({ length: segments }, () => new SegmentQueue());
  }

  /**
   * Puts the segments on the reference clock, from when each segment's first lines say where it
   * stands: `offsetsUs[k]` moves segment k's times there; `skewUs` is how far apart two segments'
   * clocks may still be after that. Nothing reaches `sink` before.
   */
  place(offsetsUs: readonly number[], skewUs: number, sink: CallSink): void {
    this.#queues.forEach((queue, k) => queue.place(offsetsUs[k], skewUs / 2));
    this.#sink = sink;
    this.#merge();
  }

  /** Where segment k's calls go, in its completion order, on its own clock. */
  input(k: number): CallSink {
    return { add: (batch) => this.#add(k, batch) };
  }

  /** Segment k has no more calls. */
  end(k: number): void {
    this.#queues[k].end();
    this.#merge();
  }

  /** The stale calls each segment found on its own clock, named on the reference clock. */
  segmentStale(): StaleExample[] {
    return this.#queues.flatMap((queue) =>
      queue.order.result().examples.map(({ earlier, later }) => ({ earlier: queue.moved(earlier), later: queue.moved(later) })),
    );
  }

  /** The segment whose calls came from `clientId`. */
  segmentOf(clientId: number): number {
    return this.#segmentOf.get(clientId) ?? 0;
  }

  #add(k: number, batch: CallBatch): void {
    for (let i = 0; i < batch.length; i++) this.#claim(batch.clientIds[i], k);
    this.#queues[k].add(batch);
    this.#merge();
  }

  #claim(clientId: number, k: number): void {
    const owner = this.#segmentOf.get(clientId);
    if (owner === undefined) this.#segmentOf.set(clientId, k);
    else if (owner !== k) throw new SegmentClash(clientId, owner, k);
  }

  /** Hands on every call no segment can still precede, in completion order. */
  #merge(): void {
    if (!this.#sink) return;
    const bound = Math.min(...this.#queues.map((queue) => queue.boundUs()));
    for (;;) {
      let first: SegmentQueue | undefined;
      for (const queue of this.#queues) {
        if (queue.batches.length === 0 || queue.headCompleteUs() > bound) continue;
        if (!first || queue.headCompleteUs() < first.headCompleteUs()) first = queue;
      }
      if (!first) break;
      this.#take(first.batches[0], first.at);
      first.next();
      if (this.#out.length === batchCalls) this.#flush();
    }
    this.#flush();
  }

  #take(from: CallBatch, i: number): void {
    const out = this.#out;
    const j = out.length++;
    out.clientIds[j] = from.clientIds[i];
    out.invokeUs[j] = from.invokeUs[i];
    out.completeUs[j] = from.completeUs[i];
    out.values[j] = from.values[i];
    out.outcomes[j] = from.outcomes[i];
    out.invokeIndex[j] = from.invokeIndex[i];
    out.processes[j] = from.processes[i];
    out.staleInSegment![j] = from.staleInSegment![i];
  }

  #flush(): void {
    const out = this.#out;
    if (out.length === 0) return;
    out.firstRow = this.#row;
    out.pendingSinceUs = Math.min(...this.#queues.map((queue) => queue.earliestInvokeUs()));
    this.#sink!.add(view(out));
    this.#row += out.length;
    out.length = 0;
  }
}

function newBatch(): CallBatch {
  return {
    length: 0,
    firstRow: 0,
    clientIds: new Uint32Array(batchCalls),
    invokeUs: new Float64Array(batchCalls),
    completeUs: new Float64Array(batchCalls),
    values: new Float64Array(batchCalls),
    outcomes: new Uint8Array(batchCalls),
    invokeIndex: new Float64Array(batchCalls),
    processes: new Float64Array(batchCalls),
    pendingSinceUs: -Infinity,
    staleInSegment: new Uint8Array(batchCalls),
  };
}

/** The first `length` calls of `batch`, as views. */
function view(batch: CallBatch): CallBatch {
  const n = batch.length;
  return {
    ...batch,
    clientIds: batch.clientIds.subarray(0, n),
    invokeUs: batch.invokeUs.subarray(0, n),
    completeUs: batch.completeUs.subarray(0, n),
    values: batch.values.subarray(0, n),
    outcomes: batch.outcomes.subarray(0, n),
    invokeIndex: batch.invokeIndex.subarray(0, n),
    processes: batch.processes.subarray(0, n),
    staleInSegment: batch.staleInSegment!.subarray(0, n),
  };
}

/** A batch the merge may keep: a sink's batch columns may be reused once `add` returns. */
function copy(batch: CallBatch): CallBatch {
  return {
    ...batch,
    clientIds: batch.clientIds.slice(0, batch.length),
    invokeUs: batch.invokeUs.slice(0, batch.length),
    completeUs: batch.completeUs.slice(0, batch.length),
    values: batch.values.slice(0, batch.length),
    outcomes: batch.outcomes.slice(0, batch.length),
    invokeIndex: batch.invokeIndex.slice(0, batch.length),
    processes: batch.processes.slice(0, batch.length),
    staleInSegment: new Uint8Array(batch.length),
  };
}
