/**
 * Where each operation of a run lands in its saved history: the order of the events (by
 * time), each event's Jepsen index, and each client operation's process number.
 *
 * Every client calls one increment at a time, so its events are already in time order: the
 * order of the whole history is a merge of those streams (with the tester's and the
 * nemesis's), O(n log clients) with no object per operation. Ties go to invokes, then nemesis
 * events, then completions, so operations that touch in time stay concurrent as the checker
 * sees them; among equals the tester comes first, then the nemesis, then clients by number.
 *
 * The merge takes its streams' events as they come (`EventMerge`): a run's history is laid
 * out while the run goes (history-stream.ts) by the same rules as a whole one (`historyLayout`).
 */
import { Outcome } from '../check/history.js';
import { sinceStartNs, type RunHistory } from './run-history.js';

/** Where an event comes from. */
export const Source = { client: 0, tester: 1, nemesis: 2 } as const;
/** Which event of a call: ties between equal times are broken in this order. */
export const Phase = { invoke: 0, nemesis: 1, complete: 2 } as const;
/** The merge's streams: the tester's, the nemesis's, then client c's as `CLIENT_STREAM + c`. */
export const TESTER_STREAM = 0;
export const NEMESIS_STREAM = 1;
export const CLIENT_STREAM = 2;

export interface HistoryLayout {
  /** Events in saved order: `sources[k]`, `items[k]` (row, control op or nemesis event), `phases[k]`. */
  length: number;
  sources: Uint8Array;
  items: Uint32Array;
  phases: Uint8Array;
  /** Nanoseconds since the run started. */
  timesNs: Float64Array;
  /** Per client row: the index of its invoke event, and its Jepsen process number. */
  invokeIndex: Uint32Array;
  processes: Float64Array;
}

export function historyLayout(history: RunHistory): HistoryLayout {
  const { ops, controlOps, nemesisEvents, originUs } = history;
  const merge = new EventMerge();
  controlOps.forEach((op, i) => pushCall(merge, TESTER_STREAM, i, op.invokeUs, op.completeUs, originUs));
  for (const i of nemesisOrder(nemesisEvents, 0, nemesisEvents.length)) {
    merge.push(NEMESIS_STREAM, nemesisEvents[i].time, Phase.nemesis, i);
  }
  for (let row = 0; row < ops.length; row++) {
    pushCall(merge, CLIENT_STREAM + ops.clientIds[row], row, ops.invokeUs[row], ops.completeUs[row], originUs);
  }
  const n = merge.size;
  const layout: HistoryLayout = {
    length: n,
    sources: new Uint8Array(n),
    items: new Uint32Array(n),
    phases: new Uint8Array(n),
    timesNs: new Float64Array(n),
    invokeIndex: new Uint32Array(ops.length),
    processes: new Float64Array(ops.length),
  };
  for (let k = 0; merge.next(Infinity) >= 0; k++) {
    layout.sources[k] = merge.source;
    layout.items[k] = merge.item;
    layout.phases[k] = merge.phase;
    layout.timesNs[k] = merge.timeNs;
    if (merge.source === Source.client && merge.phase === Phase.invoke) layout.invokeIndex[merge.item] = k;
  }
  const processes = new JepsenProcesses(history.meta.clientCount);
  for (let row = 0; row < ops.length; row++) layout.processes[row] = processes.next(ops.clientIds[row], ops.outcomes[row]);
  return layout;
}

/** A call's two events, in its stream. */
export function pushCall(
  merge: EventMerge,
  stream: number,
  item: number,
  invokeUs: number,
  completeUs: number,
  originUs: number,
): void {
  merge.push(stream, sinceStartNs(invokeUs, originUs), Phase.invoke, item);
  merge.push(stream, sinceStartNs(completeUs, originUs), Phase.complete, item);
}

/** Nemesis events `[from, to)` by time, equal times in the order they happened. */
export function nemesisOrder(events: readonly { time: number }[], from: number, to: number): number[] {
  const order = Array.from({ length: to - from }, (_, i) => from + i);
  return order.sort((a, b) => events[a].time - events[b].time || a - b);
}

/**
 * Jepsen's process numbers: a client starts as its own number and, after an operation whose
 * fate is unknown, continues as a new process, its number plus the client count.
 */
export class JepsenProcesses {
  #crashes = new Float64Array(64);

  constructor(readonly clientCount: number) {}

  /** The process of `client`'s next call, which ended as `outcome`. */
  next(client: number, outcome: number): number {
    if (client >= this.#crashes.length) this.#crashes = grown(this.#crashes, client + 1);
    const k = this.#crashes[client];
    if (outcome === Outcome.indeterminate) this.#crashes[client] = k + 1;
    return client + this.clientCount * k;
  }
}

/**
 * The streams' events merged by (time, phase, stream) as they arrive: each stream's events
 * are pushed in its own order, and `next(boundNs)` takes the first event in saved order as long
 * as it lies before `boundNs`, below which every stream's events must all have been pushed.
 * A binary heap of the streams' first events over a pool of entries (typed arrays, one free
 * list): it holds only what is pushed and not yet taken.
 */
export class EventMerge {
  /** The event `next` took: its stream's source, its item, phase and time. */
  source = 0;
  item = 0;
  phase = 0;
  timeNs = 0;

  #times = new Float64Array(1024);
  #phases = new Uint8Array(1024);
  #items = new Uint32Array(1024);
  /** Per entry: the next entry of its stream, or the next free entry; -1 for none. */
  #nexts = new Int32Array(1024).fill(-1);
  #free = 0;
  #size = 0;
  /** Per stream: its first and last entries, -1 when empty. */
  #firsts = new Int32Array(64).fill(-1);
  #lasts = new Int32Array(64).fill(-1);
  /** Streams with entries, the one whose first event comes first at the top. */
  #heap = new Uint32Array(64);
  #heapSize = 0;

  constructor() {
    for (let e = 0; e < this.#nexts.length - 1; e++) this.#nexts[e] = e + 1;
  }

  /** Events pushed and not yet taken. */
  get size(): number {
    return this.#size;
  }

  push(stream: number, timeNs: number, phase: number, item: number): void {
    if (this.#free < 0) this.#growEntries();
    if (stream >= this.#firsts.length) this.#growStreams(stream + 1);
    const e = this.#free;
    this.#free = this.#nexts[e];
    this.#times[e] = timeNs;
    this.#phases[e] = phase;
    this.#items[e] = item;
    this.#nexts[e] = -1;
    this.#size++;
    const last = this.#lasts[stream];
    this.#lasts[stream] = e;
    if (last >= 0) {
      this.#nexts[last] = e;
      return;
    }
    this.#firsts[stream] = e;
    this.#siftUp(this.#heapSize++, stream);
  }

  /** Takes the next event in saved order if it lies before `boundNs`: its stream, or -1. */
  next(boundNs: number): number {
    if (this.#heapSize === 0) return -1;
    const stream = this.#heap[0];
    const e = this.#firsts[stream];
    if (!(this.#times[e] < boundNs)) return -1;
    this.source = stream === TESTER_STREAM ? Source.tester : stream === NEMESIS_STREAM ? Source.nemesis : Source.client;
    this.item = this.#items[e];
    this.phase = this.#phases[e];
    this.timeNs = this.#times[e];
    const following = this.#nexts[e];
    this.#nexts[e] = this.#free;
    this.#free = e;
    this.#size--;
    this.#firsts[stream] = following;
    if (following < 0) {
      this.#lasts[stream] = -1;
      const moved = this.#heap[--this.#heapSize];
      if (this.#heapSize > 0) this.#siftDown(0, moved);
    } else this.#siftDown(0, stream);
    return stream;
  }

  /** Stream a's first event comes before stream b's. */
  #before(a: number, b: number): boolean {
    const ea = this.#firsts[a];
    const eb = this.#firsts[b];
    if (this.#times[ea] !== this.#times[eb]) return this.#times[ea] < this.#times[eb];
    if (this.#phases[ea] !== this.#phases[eb]) return this.#phases[ea] < this.#phases[eb];
    return a < b;
  }

  #siftUp(at: number, stream: number): void {
    const heap = this.#heap;
    let i = at;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(stream, heap[parent])) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = stream;
  }

  #siftDown(at: number, stream: number): void {
    const heap = this.#heap;
    const size = this.#heapSize;
    let i = at;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      if (child + 1 < size && this.#before(heap[child + 1], heap[child])) child++;
      if (!this.#before(heap[child], stream)) break;
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = stream;
  }

  #growEntries(): void {
    const old = this.#nexts.length;
    this.#times = grown(this.#times, 2 * old);
    this.#phases = grown(this.#phases, 2 * old);
    this.#items = grown(this.#items, 2 * old);
    this.#nexts = grown(this.#nexts, 2 * old);
    for (let e = old; e < 2 * old; e++) this.#nexts[e] = e + 1;
    this.#nexts[2 * old - 1] = -1;
    this.#free = old;
  }

  #growStreams(count: number): void {
    const size = Math.max(count, 2 * this.#firsts.length);
    this.#firsts = grown(this.#firsts, size, -1);
    this.#lasts = grown(this.#lasts, size, -1);
    this.#heap = grown(this.#heap, size);
  }
}

type Column = Float64Array | Uint32Array | Int32Array | Uint8Array;

/** `old`'s entries at the start of a column of `size`, the rest `fill`. */
function grown<T extends Column>(old: T, size: number, fill = 0): T {
  const bigger = new (old.constructor as new (size: number) => T)(Math.max(size, 2 * old.length));
  bigger.set(old);
  if (fill !== 0) bigger.fill(fill, old.length);
  return bigger;
}
