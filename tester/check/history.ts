/**
 * The record of every increment a run made, for the checkers. It sits on the hot path of
 * the load, so it stores columns in growable typed arrays: no object per operation, no
 * garbage, and the buffers can be transferred from worker threads without copying.
 */

/** How an increment ended. */
export const Outcome = {
  /** The backend acknowledged it. */
  ok: 0,
  /** Certainly not applied (refused before reaching the backend, rejected by it). */
  failed: 1,
  /** Fate unknown (timeout, connection reset): may or may not have been applied. */
  indeterminate: 2,
} as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

/** Column views of a history, `length` entries each. Also what crosses thread boundaries. */
export interface HistoryData {
  length: number;
  clientIds: Uint32Array;
  /** When the client sent the increment, in microseconds on `monotonicUs()`'s clock. */
  invokeUs: Float64Array;
  /** When the client saw its outcome, same clock. */
  completeUs: Float64Array;
  /** The counter value the increment returned; NaN when the backend returned none. */
  values: Float64Array;
  outcomes: Uint8Array;
}

/**
 * Microseconds on the process-wide monotonic clock. Unlike `performance.now()`, whose
 * origin is per thread, these readings are comparable between worker threads.
 */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint()) / 1000;
}

const initialCapacity = 1024;

export class History {
  #length = 0;
  #clientIds: Uint32Array;
  #invokeUs: Float64Array;
  #completeUs: Float64Array;
  #values: Float64Array;
  #outcomes: Uint8Array;

  constructor(capacity = initialCapacity) {
    const size = Math.max(1, capacity);
    this.#clientIds = new Uint32Array(size);
    this.#invokeUs = new Float64Array(size);
    this.#completeUs = new Float64Array(size);
    this.#values = new Float64Array(size);
    this.#outcomes = new Uint8Array(size);
  }

  get length(): number {
    return this.#length;
  }

  /** Appends one operation. `value` is NaN (or undefined) when the backend returned none. */
  record(
    clientId: number,
    invokeUs: number,
    completeUs: number,
    value: number | undefined,
    outcome: Outcome,
  ): void {
    const i = this.#length;
    if (i === this.#values.length) this.#grow(2 * i);
    this.#clientIds[i] = clientId;
    this.#invokeUs[i] = invokeUs;
    this.#completeUs[i] = completeUs;
    this.#values[i] = value ?? NaN;
    this.#outcomes[i] = outcome;
    this.#length = i + 1;
  }

  /** Views of the recorded entries (no copy; they alias this history's storage). */
  data(): HistoryData {
    const n = this.#length;
    return {
      length: n,
      clientIds: this.#clientIds.subarray(0, n),
      invokeUs: this.#invokeUs.subarray(0, n),
      completeUs: this.#completeUs.subarray(0, n),
      values: this.#values.subarray(0, n),
      outcomes: this.#outcomes.subarray(0, n),
    };
  }

  /**
   * The data plus the buffers to pass as `postMessage`'s transfer list. Transferring
   * detaches the buffers: do not use this history afterwards.
   */
  toTransferable(): { data: HistoryData; transfer: ArrayBuffer[] } {
    const data = this.data();
    const transfer = [data.clientIds, data.invokeUs, data.completeUs, data.values, data.outcomes].map(
      (column) => column.buffer as ArrayBuffer,
    );
    return { data, transfer };
  }

  /** A history holding the given data (copied, so the parts may be views of anything). */
  static fromData(data: HistoryData): History {
    return History.merge([data]);
  }

  /** One history holding all parts' operations, e.g. those recorded by several workers. */
  static merge(parts: readonly (HistoryData | History)[]): History {
    const datas = parts.map((part) => (part instanceof History ? part.data() : part));
    const total = datas.reduce((sum, part) => sum + part.length, 0);
    const merged = new History(total);
    for (const part of datas) merged.#append(part);
    return merged;
  }

  #append(part: HistoryData): void {
    const at = this.#length;
    const n = part.length;
    if (at + n > this.#values.length) this.#grow(Math.max(at + n, 2 * this.#values.length));
    this.#clientIds.set(part.clientIds.subarray(0, n), at);
    this.#invokeUs.set(part.invokeUs.subarray(0, n), at);
    this.#completeUs.set(part.completeUs.subarray(0, n), at);
    this.#values.set(part.values.subarray(0, n), at);
    this.#outcomes.set(part.outcomes.subarray(0, n), at);
    this.#length = at + n;
  }

  #grow(capacity: number): void {
    this.#clientIds = grown(this.#clientIds, new Uint32Array(capacity));
    this.#invokeUs = grown(this.#invokeUs, new Float64Array(capacity));
    this.#completeUs = grown(this.#completeUs, new Float64Array(capacity));
    this.#values = grown(this.#values, new Float64Array(capacity));
    this.#outcomes = grown(this.#outcomes, new Uint8Array(capacity));
  }
}

/** `bigger` holding `old`'s entries at its start. */
function grown<T extends { set(array: ArrayLike<number>): void }>(old: ArrayLike<number>, bigger: T): T {
  bigger.set(old);
  return bigger;
}
