/**
 * The checked calls on disk, for the rare second look: the first calls of a value that came back
 * after it closed, the calls out of range when the final count fell below closed values. The file
 * is unlinked as soon as it is created, so the kernel frees it when the process ends, even on
 * SIGKILL; reading back holds one chunk at a time.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CallBatch } from './call-batch.js';

/** What the second look needs of each call (37 bytes on disk). */
export type SpooledCalls = Pick<CallBatch, 'firstRow' | 'length' | 'clientIds' | 'outcomes' | 'invokeUs' | 'completeUs' | 'values' | 'invokeIndex'>;

type ColumnName = 'clientIds' | 'outcomes' | 'invokeUs' | 'completeUs' | 'values' | 'invokeIndex';
type ColumnType = typeof Uint32Array | typeof Uint8Array | typeof Float64Array;
const columns: [ColumnName, ColumnType][] = [
  ['clientIds', Uint32Array],
  ['outcomes', Uint8Array],
  ['invokeUs', Float64Array],
  ['completeUs', Float64Array],
  ['values', Float64Array],
  ['invokeIndex', Float64Array],
];
const chunkCalls = 1 << 16;

export class CallSpool {
  readonly #fd: number;
  /** Where each batch starts in the file, and its call count. */
  readonly #offsets: number[] = [];
  readonly #lengths: number[] = [];
  #bytes = 0;

  constructor() {
    const file = path.join(os.tmpdir(), `counters-calls-${process.pid}-${Math.random().toString(36).slice(2)}`);
    this.#fd = fs.openSync(file, 'w+', 0o600);
    fs.unlinkSync(file);
  }

  add(batch: CallBatch): void {
    this.#offsets.push(this.#bytes);
    this.#lengths.push(batch.length);
    for (const [name] of columns) {
      const column = batch[name].subarray(0, batch.length);
      fs.writeSync(this.#fd, column, 0, column.byteLength, this.#bytes);
      this.#bytes += column.byteLength;
    }
  }

  /** The calls in row order, a chunk at a time. */
  forEach(visit: (calls: SpooledCalls) => void): void {
    let firstRow = 0;
    this.#offsets.forEach((offset, b) => {
      const n = this.#lengths[b];
      for (let from = 0; from < n; from += chunkCalls) {
        const length = Math.min(chunkCalls, n - from);
        visit({ firstRow: firstRow + from, length, ...this.#chunk(offset, n, from, length) });
      }
      firstRow += n;
    });
  }

  #chunk(offset: number, n: number, from: number, length: number): Pick<SpooledCalls, ColumnName> {
    const chunk: Record<string, Uint32Array | Uint8Array | Float64Array> = {};
    let at = offset;
    for (const [name, type] of columns) {
      const column = new type(length);
      fs.readSync(this.#fd, column, 0, column.byteLength, at + from * type.BYTES_PER_ELEMENT);
      chunk[name] = column;
      at += n * type.BYTES_PER_ELEMENT;
    }
    return chunk as unknown as Pick<SpooledCalls, ColumnName>;
  }

  close(): void {
    fs.closeSync(this.#fd);
  }
}
