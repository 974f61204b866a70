/**
 * "Which acknowledged, valued call had returned the largest value before time t?", asked by each
 * arriving call about its own invoke. Calls arrive in completion order, so the answer is a
 * prefix maximum over a queue; a call still to come began at or after the batch's pending
 * watermark, so entries completed before it fold into one leader and are dropped: the queue
 * holds the calls of the last latency window, not the run.
 */
import type { OpExample } from './witness.js';

export class CompletionLeaders {
  #times = new Float64Array(1024);
  /** The leader among the entries up to each one (queue entries are OpExamples). */
  #leaders: (OpExample | undefined)[] = [];
  #head = 0;
  #tail = 0;
  /** The leader among every entry already dropped. */
  #base: OpExample | undefined;

  /** Appends a call; completions must not decrease. */
  add(op: OpExample): void {
    if (this.#tail === this.#times.length) this.#compact();
    const previous = this.#tail > this.#head ? this.#leaders[this.#tail - 1] : this.#base;
    this.#times[this.#tail] = op.completeUs;
    this.#leaders[this.#tail] = previous === undefined || op.value > previous.value ? op : previous;
    this.#tail++;
  }

  /** The leader among the calls completed strictly before `timeUs`. */
  before(timeUs: number): OpExample | undefined {
    let [low, high] = [this.#head, this.#tail];
    // Gallop from the newest: an arriving call began a latency ago, near the tail.
    for (let step = 1; high - step > low && this.#times[high - step] >= timeUs; step *= 2) high -= step;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.#times[middle] < timeUs) low = middle + 1;
      else high = middle;
    }
    return low > this.#head ? this.#leaders[low - 1] : this.#base;
  }

  /** Folds the entries completed before `timeUs` into the base: nothing later asks about them. */
  forgetBefore(timeUs: number): void {
    while (this.#head < this.#tail && this.#times[this.#head] < timeUs) {
      this.#base = this.#leaders[this.#head];
      this.#leaders[this.#head++] = undefined;
    }
  }

  /** The queue moved to the start of its arrays, which double when more than half full. */
  #compact(): void {
    const live = this.#tail - this.#head;
    const times = 2 * live > this.#times.length ? new Float64Array(2 * this.#times.length) : this.#times;
    times.set(this.#times.subarray(this.#head, this.#tail));
    this.#leaders = this.#leaders.slice(this.#head, this.#tail);
    this.#times = times;
    [this.#head, this.#tail] = [0, live];
  }
}
