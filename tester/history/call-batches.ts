/**
 * Calls handed on as `CallBatch`es, in completion order, by whatever lays out or reads a
 * history: rows gather in one set of columns, reused batch after batch, so that what is held
 * stays one batch long however long the run.
 */
import type { CallBatch, CallSink } from '../check/call-batch.js';

/**
 * Enough rows that a batch's fixed costs vanish, few enough that the objects a judge keeps for
 * a batch's calls die young: with 16k rows they outlived the young generation, and `tester
 * check` spent a third of its time collecting them, with three times the peak RSS.
 */
export const BATCH_ROWS = 1 << 10;

export class CallBatches {
  #firstRow = 0;
  #length = 0;
  readonly #clientIds = new Uint32Array(BATCH_ROWS);
  readonly #invokeUs = new Float64Array(BATCH_ROWS);
  readonly #completeUs = new Float64Array(BATCH_ROWS);
  readonly #values = new Float64Array(BATCH_ROWS);
  readonly #outcomes = new Uint8Array(BATCH_ROWS);
  readonly #invokeIndex = new Float64Array(BATCH_ROWS);
  readonly #processes = new Float64Array(BATCH_ROWS);

  /** `pendingSinceUs`: when the oldest call not yet handed on began (see CallBatch). */
  constructor(
    readonly sinks: readonly CallSink[],
    private readonly pendingSinceUs: () => number,
  ) {}

  /** Calls handed on or waiting to be. */
  get rowCount(): number {
    return this.#firstRow + this.#length;
  }

  /** The next row; a full batch goes to the sinks at once. `value` NaN for none. */
  add(
    clientId: number,
    invokeUs: number,
    completeUs: number,
    value: number,
    outcome: number,
    invokeIndex: number,
    process: number,
  ): void {
    const i = this.#length;
    this.#clientIds[i] = clientId;
    this.#invokeUs[i] = invokeUs;
    this.#completeUs[i] = completeUs;
    this.#values[i] = value;
    this.#outcomes[i] = outcome;
    this.#invokeIndex[i] = invokeIndex;
    this.#processes[i] = process;
    this.#length = i + 1;
    if (this.#length === BATCH_ROWS) this.flush();
  }

  /** Hands the rows gathered so far to every sink. */
  flush(): void {
    const n = this.#length;
    if (n === 0) return;
    const batch: CallBatch = {
      firstRow: this.#firstRow,
      length: n,
      clientIds: this.#clientIds.subarray(0, n),
      invokeUs: this.#invokeUs.subarray(0, n),
      completeUs: this.#completeUs.subarray(0, n),
      values: this.#values.subarray(0, n),
      outcomes: this.#outcomes.subarray(0, n),
      invokeIndex: this.#invokeIndex.subarray(0, n),
      processes: this.#processes.subarray(0, n),
      pendingSinceUs: this.pendingSinceUs(),
    };
    this.#firstRow += n;
    this.#length = 0;
    for (const sink of this.sinks) sink.add(batch);
  }
}
