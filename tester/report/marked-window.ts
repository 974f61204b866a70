/**
 * A stretch of the run around a witness, marked while calls stream by: it counts every call
 * overlapping it, per client (the timeline's lanes are the busiest clients), and keeps the
 * `capacity` calls nearest its middle (a max-heap on that distance), which the timeline draws from.
 */
import type { KeptCall } from './call-ring.js';

export interface KeptWindow {
  /** In row order. */
  calls: KeptCall[];
  /** Calls overlapping the window per client, kept or not. */
  busy: Map<number, number>;
  /** Calls overlapping the window, kept or not. */
  inWindowCount: number;
}

export class MarkedWindow {
  readonly fromUs: number;
  readonly toUs: number;
  readonly #middleUs: number;
  readonly #capacity: number;
  /** Max-heap on `#distance`: the farthest kept call is the first to give way. */
  readonly #heap: KeptCall[] = [];
  readonly #busy = new Map<number, number>();
  #inWindowCount = 0;

  constructor(fromUs: number, toUs: number, capacity: number) {
    this.fromUs = fromUs;
    this.toUs = toUs;
    this.#middleUs = (fromUs + toUs) / 2;
    this.#capacity = capacity;
  }

  overlaps(invokeUs: number, completeUs: number): boolean {
    return invokeUs <= this.toUs && completeUs >= this.fromUs;
  }

  /** Counts a call overlapping the window; `call` makes the object only if it is kept. */
  offer(clientId: number, invokeUs: number, completeUs: number, call: () => KeptCall): void {
    this.#inWindowCount++;
    this.#busy.set(clientId, (this.#busy.get(clientId) ?? 0) + 1);
    const distance = this.#distance(invokeUs, completeUs);
    const heap = this.#heap;
    if (heap.length < this.#capacity) {
      heap.push(call());
      this.#siftUp(heap.length - 1);
    } else if (distance < this.#distanceOf(heap[0])) {
      heap[0] = call();
      this.#siftDown(0);
    }
  }

  kept(): KeptWindow {
    return {
      calls: [...this.#heap].sort((a, b) => a.row - b.row),
      busy: new Map(this.#busy),
      inWindowCount: this.#inWindowCount,
    };
  }

  #distance(invokeUs: number, completeUs: number): number {
    return Math.abs((invokeUs + completeUs) / 2 - this.#middleUs);
  }

  #distanceOf(call: KeptCall): number {
    return this.#distance(call.invokeUs, call.completeUs);
  }

  #siftUp(at: number): void {
    const heap = this.#heap;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (this.#distanceOf(heap[parent]) >= this.#distanceOf(heap[at])) return;
      [heap[parent], heap[at]] = [heap[at], heap[parent]];
      at = parent;
    }
  }

  #siftDown(at: number): void {
    const heap = this.#heap;
    for (;;) {
      const [left, right] = [2 * at + 1, 2 * at + 2];
      let largest = at;
      if (left < heap.length && this.#distanceOf(heap[left]) > this.#distanceOf(heap[largest])) largest = left;
      if (right < heap.length && this.#distanceOf(heap[right]) > this.#distanceOf(heap[largest])) largest = right;
      if (largest === at) return;
      [heap[largest], heap[at]] = [heap[at], heap[largest]];
      at = largest;
    }
  }
}
