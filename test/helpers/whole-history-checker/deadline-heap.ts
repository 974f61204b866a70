/**
 * A min-priority queue of item numbers ordered by a key array (ties by item number, so that
 * results do not depend on insertion order). The matching sweeps of the linearizability
 * checker keep a million increments in it, and in a history recorded in completion order
 * they arrive almost sorted by key: items that arrive in order go to a plain queue, only the
 * others to a binary heap, so the common case costs O(1) per item instead of O(log n).
 * Typed storage, no object per item.
 */
export class DeadlineHeap {
  /** Items that arrived in key order, oldest first: [runHead, runTail). */
  #run: Int32Array;
  #runHead = 0;
  #runTail = 0;
  #heap: Int32Array;
  #heapSize = 0;

  constructor(
    private readonly keys: Float64Array,
    capacity: number,
  ) {
    this.#run = new Int32Array(Math.max(1, capacity));
    this.#heap = new Int32Array(Math.max(1, capacity));
  }

  get size(): number {
    return this.#runTail - this.#runHead + this.#heapSize;
  }

  /** The item with the smallest key; undefined when empty. */
  peek(): number | undefined {
    const fromRun = this.#runHead < this.#runTail;
    if (this.#heapSize === 0) return fromRun ? this.#run[this.#runHead] : undefined;
    if (!fromRun) return this.#heap[0];
    const [a, b] = [this.#run[this.#runHead], this.#heap[0]];
    return this.#less(b, a) ? b : a;
  }

  push(item: number): void {
    if (this.#runHead === this.#runTail || !this.#less(item, this.#run[this.#runTail - 1])) {
      if (this.#runTail === this.#run.length) this.#run = this.#compactedRun();
      this.#run[this.#runTail++] = item;
    } else this.#heapPush(item);
  }

  pop(): number | undefined {
    const top = this.peek();
    if (top === undefined) return undefined;
    if (this.#runHead < this.#runTail && this.#run[this.#runHead] === top) this.#runHead++;
    else this.#heapPop();
    return top;
  }

  /** The run moved to the start of its array (doubled when full). */
  #compactedRun(): Int32Array {
    const live = this.#run.subarray(this.#runHead, this.#runTail);
    const run = 2 * live.length > this.#run.length ? new Int32Array(2 * this.#run.length) : this.#run;
    run.set(live); // overlapping views of one buffer are copied as if through a clone
    this.#runHead = 0;
    this.#runTail = live.length;
    return run;
  }

  #heapPush(item: number): void {
    if (this.#heapSize === this.#heap.length) {
      const bigger = new Int32Array(2 * this.#heap.length);
      bigger.set(this.#heap);
      this.#heap = bigger;
    }
    const heap = this.#heap;
    let at = this.#heapSize++;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (!this.#less(item, heap[parent])) break;
      heap[at] = heap[parent];
      at = parent;
    }
    heap[at] = item;
  }

  #heapPop(): void {
    const heap = this.#heap;
    const last = heap[--this.#heapSize];
    const size = this.#heapSize;
    let at = 0;
    for (;;) {
      let child = 2 * at + 1;
      if (child >= size) break;
      if (child + 1 < size && this.#less(heap[child + 1], heap[child])) child++;
      if (!this.#less(heap[child], last)) break;
      heap[at] = heap[child];
      at = child;
    }
    if (size > 0) heap[at] = last;
  }

  #less(a: number, b: number): boolean {
    const ka = this.keys[a];
    const kb = this.keys[b];
    return ka < kb || (ka === kb && a < b);
  }
}
