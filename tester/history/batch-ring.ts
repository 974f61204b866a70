/**
 * Call batches handed from one thread to another through a few slots of shared memory: the
 * reading thread copies a batch into a free slot (one memcpy per column, no allocation) and
 * says which; the judging thread reads it in place and frees the slot once its sinks are done.
 * A reader that runs ahead waits for a slot, so what is in flight is `SLOT_COUNT` batches
 * whatever the history's length, and a judge that is done (or failed) stops it through `stop`.
 */
import type { CallBatch } from '../check/call-batch.js';
import { BATCH_ROWS } from './call-batches.js';

/** Enough for the reader to parse the next batches while the judge works through one. */
const SLOT_COUNT = 16;
const [FREE, BUSY] = [0, 1];

type ColumnName = 'clientIds' | 'invokeUs' | 'completeUs' | 'values' | 'outcomes' | 'invokeIndex' | 'processes';
/** A column's type, as a constructor over shared memory. */
type ColumnType = { BYTES_PER_ELEMENT: number; new (buffer: SharedArrayBuffer, byteOffset: number, length: number): Column };
type Column = Float64Array | Uint32Array | Uint8Array;
const COLUMNS: [ColumnName, ColumnType][] = [
  ['invokeUs', Float64Array],
  ['completeUs', Float64Array],
  ['values', Float64Array],
  ['invokeIndex', Float64Array],
  ['processes', Float64Array],
  ['clientIds', Uint32Array],
  ['outcomes', Uint8Array],
];

/** What a slot's columns do not say: posted with the slot's number. */
export interface SlotNote {
  slot: number;
  firstRow: number;
  length: number;
  pendingSinceUs: number;
}

/** The shared memory, as passed to the reading thread (workerData). */
export interface RingMemory {
  columns: SharedArrayBuffer;
  states: SharedArrayBuffer;
}

/** The judge stopped taking batches: the reader ends without reading further. */
export class RingStopped extends Error {}

export class BatchRing {
  readonly memory: RingMemory;
  /** Per slot, FREE or BUSY; the last cell says whether the judge stopped. */
  readonly #states: Int32Array;
  readonly #slots: Pick<CallBatch, ColumnName>[];
  #next = 0;

  constructor(memory?: RingMemory) {
    const slotBytes = COLUMNS.reduce((sum, [, type]) => sum + BATCH_ROWS * type.BYTES_PER_ELEMENT, 0);
    this.memory = memory ?? {
      columns: new SharedArrayBuffer(SLOT_COUNT * slotBytes),
      states: new SharedArrayBuffer((SLOT_COUNT + 1) * Int32Array.BYTES_PER_ELEMENT),
    };
    this.#states = new Int32Array(this.memory.states);
    this.#slots = Array.from({ length: SLOT_COUNT }, (_, slot) => {
      let at = slot * slotBytes;
      const columns: Record<string, Column> = {};
      for (const [name, type] of COLUMNS) {
        columns[name] = new type(this.memory.columns, at, BATCH_ROWS);
        at += BATCH_ROWS * type.BYTES_PER_ELEMENT;
      }
      return columns as unknown as Pick<CallBatch, ColumnName>;
    });
  }

  /** The reader's side: copies `batch` into the next slot, once the judge has freed it. */
  put(batch: CallBatch): SlotNote {
    const slot = this.#next;
    this.#next = (slot + 1) % SLOT_COUNT;
    const states = this.#states;
    while (Atomics.load(states, slot) === BUSY) {
      if (Atomics.load(states, SLOT_COUNT) !== 0) throw new RingStopped('the judge stopped reading');
      Atomics.wait(states, slot, BUSY);
    }
    const columns = this.#slots[slot];
    for (const [name] of COLUMNS) columns[name].set(batch[name].subarray(0, batch.length));
    Atomics.store(states, slot, BUSY);
    return { slot, firstRow: batch.firstRow, length: batch.length, pendingSinceUs: batch.pendingSinceUs };
  }

  /** The judge's side: the batch a note names, valid until `free`. */
  batch({ slot, firstRow, length, pendingSinceUs }: SlotNote): CallBatch {
    const columns = this.#slots[slot];
    const view = <T extends Column>(column: T) => column.subarray(0, length) as T;
    return {
      firstRow,
      length,
      pendingSinceUs,
      clientIds: view(columns.clientIds),
      invokeUs: view(columns.invokeUs),
      completeUs: view(columns.completeUs),
      values: view(columns.values),
      outcomes: view(columns.outcomes),
      invokeIndex: view(columns.invokeIndex),
      processes: view(columns.processes),
    };
  }

  free(slot: number): void {
    Atomics.store(this.#states, slot, FREE);
    Atomics.notify(this.#states, slot);
  }

  /** The judge takes no more: a reader waiting for a slot, or coming to wait, ends. */
  stop(): void {
    Atomics.store(this.#states, SLOT_COUNT, 1);
    for (let slot = 0; slot < SLOT_COUNT; slot++) Atomics.notify(this.#states, slot);
  }
}
