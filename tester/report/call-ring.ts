/**
 * The most recent calls, in a fixed ring: what a witness timeline needs when the checker names
 * a call only after its neighbours went by (a duplicate is known at its second increment), and
 * the clients' last calls that the final read is drawn among. 65,536 calls take 2.4 MB and span
 * a third of a second at 200k calls/s, seconds at the rates a fault slows a run to.
 */
import type { HistoryData, Outcome } from '../check/history.js';

/** One call kept for a timeline, with its row in the run (see `CallBatch`). */
export interface KeptCall {
  row: number;
  clientId: number;
  invokeUs: number;
  completeUs: number;
  /** NaN when the backend returned none. */
  value: number;
  outcome: Outcome;
}

export const ringCapacity = 65_536;

export class CallRing {
  readonly #rows = new Float64Array(ringCapacity);
  readonly #clientIds = new Uint32Array(ringCapacity);
  readonly #invokeUs = new Float64Array(ringCapacity);
  readonly #completeUs = new Float64Array(ringCapacity);
  readonly #values = new Float64Array(ringCapacity);
  readonly #outcomes = new Uint8Array(ringCapacity);
  #next = 0;
  #size = 0;

  /** Keeps call `i` of `data`, forgetting the oldest call when full. */
  push(data: HistoryData, i: number, row: number): void {
    const at = this.#next;
    this.#rows[at] = row;
    this.#clientIds[at] = data.clientIds[i];
    this.#invokeUs[at] = data.invokeUs[i];
    this.#completeUs[at] = data.completeUs[i];
    this.#values[at] = data.values[i];
    this.#outcomes[at] = data.outcomes[i];
    this.#next = (at + 1) % ringCapacity;
    if (this.#size < ringCapacity) this.#size++;
  }

  /** The kept calls overlapping [fromUs, toUs], in row order. */
  callsIn(fromUs: number, toUs: number): KeptCall[] {
    const calls: KeptCall[] = [];
    for (let at = 0; at < this.#size; at++) {
      if (this.#invokeUs[at] > toUs || this.#completeUs[at] < fromUs) continue;
      calls.push({
        row: this.#rows[at],
        clientId: this.#clientIds[at],
        invokeUs: this.#invokeUs[at],
        completeUs: this.#completeUs[at],
        value: this.#values[at],
        outcome: this.#outcomes[at] as Outcome,
      });
    }
    return calls.sort((a, b) => a.row - b.row);
  }
}
