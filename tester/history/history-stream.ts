/**
 * A run's history laid out while the run goes: the load delivers its calls in batches, each
 * with a watermark below which every call has been delivered; every event before the
 * watermark then takes its place in the history (history-layout.ts's order), goes to the
 * --history file through a bounded buffer, and each call whose completion is laid out goes on
 * to the sinks (the judge, the report) as a `CallBatch` row, numbered in completion order.
 *
 * What is held is what lies past the watermark (the calls in flight and those completed after
 * the oldest of them began), never the run's length. A tester killed mid-run leaves a
 * history that stops at the last flush: `tester check` reads it (a torn last line is skipped).
 *
 * The run's metadata known at the start rides on the first line; what is known only at the
 * end (unreadable answers, thresholds) on the last line, under `run` too.
 */
import type { CallSink } from '../check/call-batch.js';
import { Outcome, type HistoryData } from '../check/history.js';
import { CallBatches } from './call-batches.js';
import { EventLines } from './event-lines.js';
import {
  CLIENT_STREAM,
  EventMerge,
  JepsenProcesses,
  NEMESIS_STREAM,
  nemesisOrder,
  Phase,
  pushCall,
  Source,
  TESTER_STREAM,
} from './history-layout.js';
import type { HistoryFormat } from './line-spelling.js';
import type { NemesisEvent } from './nemesis-event.js';
import { sinceStartNs, type ControlOp, type RunMeta } from './run-history.js';

/** What the run knows of itself at its end: saved on the history's last line. */
export type RunEnd = Partial<Pick<RunMeta, 'unreadableCount' | 'thresholds'>>;
/** What the run knows of itself at its start (or all of it, for a history saved whole). */
export type RunStart = Omit<RunMeta, keyof RunEnd> & RunEnd;

export interface HistoryStreamOptions {
  /** Where to save the history (`.gz`: compressed); without it the calls only go to the sinks. */
  file?: { path: string; format: HistoryFormat };
  meta: RunStart;
  /** `monotonicUs()` when the run started: saved times are nanoseconds since then. */
  originUs: number;
  /** The tester's calls before the load: the reset, the initial read. */
  controlOps: readonly ControlOp[];
  /**
   * The nemesis's events as it pushes them, read again at each delivery: those before a
   * delivery's watermark must be in it by then.
   */
  nemesisEvents: readonly NemesisEvent[];
  /** Before which time every nemesis event still to come is stamped (monotonicUs): nothing is laid out past it. */
  nemesisBusySinceUs?: () => number;
  sinks?: readonly CallSink[];
}

/** A file that has not been flushed for this long is, at the next delivery. */
const FLUSH_EVERY_MS = 1000;

export class HistoryStream {
  readonly #merge = new EventMerge();
  readonly #lines: EventLines | undefined;
  readonly #batches: CallBatches;
  readonly #processes: JepsenProcesses;
  readonly #meta: RunStart;
  readonly #originUs: number;
  readonly #controlOps: ControlOp[];
  readonly #nemesisEvents: readonly NemesisEvent[];
  readonly #nemesisBusySinceUs: () => number;
  /** Nemesis events seen, and those among them not yet in the merge (at or past the watermark). */
  #nemesisSeen = 0;
  #nemesisWaiting: number[] = [];
  #eventCount = 0;
  /** The last finite watermark: nothing may come before it any more. */
  #watermarkUs = -Infinity;
  #boundNs = -Infinity;
  #lastFlushMs = performance.now();
  #closed = false;
  readonly #calls = new CallPool();
  /** Calls whose invoke is laid out and completion not yet, slot to invoke: a Map keeps them in invoke order. */
  readonly #open = new Map<number, number>();

  constructor(options: HistoryStreamOptions) {
    this.#meta = options.meta;
    this.#originUs = options.originUs;
    this.#nemesisEvents = options.nemesisEvents;
    this.#nemesisBusySinceUs = options.nemesisBusySinceUs ?? (() => Infinity);
    this.#processes = new JepsenProcesses(options.meta.clientCount);
    this.#batches = new CallBatches(options.sinks ?? [], () => this.#pendingSinceUs());
    this.#lines = options.file && new EventLines(options.file.path, options.file.format);
    this.#controlOps = [];
    this.#pushControlOps(options.controlOps);
  }

  /**
   * Calls, each client's in the order it made them; every call invoked before `watermarkUs`
   * (on `monotonicUs()`'s clock) is in this delivery or an earlier one. The last delivery's
   * watermark is +Infinity: then the rest waits for `finish`, which brings the final read.
   */
  deliver(calls: HistoryData, watermarkUs: number): void {
    if (this.#closed) throw new Error('the history stream is closed: no delivery after finish() or close()');
    const pool = this.#calls;
    for (let row = 0; row < calls.length; row++) {
      if (calls.invokeUs[row] < this.#watermarkUs) {
        throw lateError(`a call invoked at ${calls.invokeUs[row]} µs`, `${this.#watermarkUs} µs`);
      }
      const client = calls.clientIds[row];
      const outcome = calls.outcomes[row];
      const slot = pool.add(client, calls.invokeUs[row], calls.completeUs[row], calls.values[row], outcome);
      pool.processes[slot] = this.#processes.next(client, outcome);
      pushCall(this.#merge, CLIENT_STREAM + client, slot, calls.invokeUs[row], calls.completeUs[row], this.#originUs);
    }
    // The final read, still to come, begins after every finite watermark, not before +Infinity.
    if (watermarkUs === Infinity || watermarkUs <= this.#watermarkUs) return;
    this.#watermarkUs = watermarkUs;
    const boundUs = Math.min(watermarkUs, this.#nemesisBusySinceUs());
    if (sinceStartNs(boundUs, this.#originUs) > this.#boundNs) this.#drain(sinceStartNs(boundUs, this.#originUs), undefined);
  }

  /** Lays out the rest with the tester's calls after the load; saves `end` on the last line. */
  finish(finalOps: readonly ControlOp[] = [], end: RunEnd = {}): void {
    if (this.#closed) throw new Error('the history stream is closed: finish() once');
    this.#pushControlOps(finalOps);
    const known = Object.values(end).some((value) => value !== undefined);
    this.#drain(Infinity, known ? end : undefined);
    this.close();
  }

  /** Saves what is laid out and closes the file, leaving the rest (for a run that failed). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#batches.flush();
    this.#lines?.close();
  }

  #pushControlOps(ops: readonly ControlOp[]): void {
    for (const op of ops) {
      pushCall(this.#merge, TESTER_STREAM, this.#controlOps.length, op.invokeUs, op.completeUs, this.#originUs);
      this.#controlOps.push({ ...op });
    }
  }

  /** The tester's calls, each with the index of its invoke event once laid out (witnesses name them so). */
  get controlOps(): readonly ControlOp[] {
    return this.#controlOps;
  }

  /** Every event before `boundNs`, in saved order; `end` on the last line when it is the last. */
  #drain(boundNs: number, end: RunEnd | undefined): void {
    this.#pushNemesis(boundNs);
    this.#boundNs = boundNs;
    const merge = this.#merge;
    while (merge.next(boundNs) >= 0) this.#emit(end !== undefined && merge.size === 0 ? end : undefined);
    this.#batches.flush();
    if (this.#lines && performance.now() - this.#lastFlushMs >= FLUSH_EVERY_MS) {
      this.#lines.flush();
      this.#lastFlushMs = performance.now();
    }
  }

  /** The nemesis's events before `boundNs` into the merge, by time (later ones wait). */
  #pushNemesis(boundNs: number): void {
    const events = this.#nemesisEvents;
    if (this.#nemesisSeen === events.length && this.#nemesisWaiting.length === 0) return;
    const arrived = nemesisOrder(events, this.#nemesisSeen, events.length);
    const late = arrived.find((i) => events[i].time < this.#boundNs);
    if (late !== undefined) throw lateError(`a nemesis event at ${events[late].time} ns`, `${this.#boundNs} ns`);
    const waiting = [...this.#nemesisWaiting, ...arrived];
    this.#nemesisSeen = events.length;
    waiting.sort((a, b) => events[a].time - events[b].time || a - b);
    const due = waiting.filter((i) => events[i].time < boundNs);
    for (const i of due) this.#merge.push(NEMESIS_STREAM, events[i].time, Phase.nemesis, i);
    this.#nemesisWaiting = waiting.slice(due.length);
  }

  /** The event the merge took, into the file and, for a completion, to the sinks. */
  #emit(end: RunEnd | undefined): void {
    const merge = this.#merge;
    const index = this.#eventCount++;
    const lines = this.#lines;
    const run = lines === undefined ? undefined : this.#runField(index, end);
    const invoke = merge.phase === Phase.invoke;
    if (merge.source === Source.client) {
      const pool = this.#calls;
      const slot = merge.item;
      if (invoke) {
        pool.invokeIndex[slot] = index;
        this.#open.set(slot, pool.invokeUs[slot]);
        lines?.write(merge.timeNs, pool.processes[slot], lines.clientInvoke, NaN, run);
        return;
      }
      const outcome = pool.outcomes[slot];
      const value = outcome === Outcome.ok ? pool.values[slot] : NaN;
      lines?.write(merge.timeNs, pool.processes[slot], lines.clientCompletions[outcome], value, run);
      this.#batches.add(
        pool.clientIds[slot],
        pool.invokeUs[slot],
        pool.completeUs[slot],
        pool.values[slot],
        outcome,
        pool.invokeIndex[slot],
        pool.processes[slot],
      );
      this.#open.delete(slot);
      pool.free(slot);
    } else if (merge.source === Source.tester) {
      if (invoke) this.#controlOps[merge.item].invokeIndex = index;
      if (lines === undefined) return;
      const op = this.#controlOps[merge.item];
      const value = invoke || op.value === null ? NaN : op.value;
      lines.write(merge.timeNs, lines.tester, lines.middle(invoke ? 'invoke' : op.type, op.f), value, run);
    } else if (lines !== undefined) {
      const event = this.#nemesisEvents[merge.item];
      lines.write(merge.timeNs, lines.nemesis, lines.middle('info', event.f), event.value, run);
    }
  }

  /**
   * When the oldest call not yet handed on began: the oldest in flight, or the next event's
   * time, since every call not yet laid out begins at or after it.
   */
  #pendingSinceUs(): number {
    const oldest = this.#open.values().next();
    const nextUs = this.#originUs + this.#merge.timeNs / 1000;
    return oldest.done ? nextUs : Math.min(oldest.value, nextUs);
  }

  /** The metadata on line `index`: the start's on the first, the end's on the last. */
  #runField(index: number, end: RunEnd | undefined): object | undefined {
    if (index === 0) return end === undefined ? this.#meta : { ...this.#meta, ...end };
    return end;
  }
}

/** A promise of the deliveries broken: the history would run backwards. */
function lateError(what: string, watermark: string): Error {
  return new Error(`${what} came after the watermark ${watermark} was delivered: the history before it is laid out`);
}

/** The delivered calls not yet laid out, as columns of reusable slots. */
class CallPool {
  clientIds = new Uint32Array(1024);
  invokeUs = new Float64Array(1024);
  completeUs = new Float64Array(1024);
  values = new Float64Array(1024);
  outcomes = new Uint8Array(1024);
  processes = new Float64Array(1024);
  invokeIndex = new Float64Array(1024);
  #free = Uint32Array.from({ length: 1024 }, (_, i) => 1023 - i);
  #freeCount = 1024;

  /** A slot holding the call. */
  add(clientId: number, invokeUs: number, completeUs: number, value: number, outcome: number): number {
    if (this.#freeCount === 0) this.#grow();
    const slot = this.#free[--this.#freeCount];
    this.clientIds[slot] = clientId;
    this.invokeUs[slot] = invokeUs;
    this.completeUs[slot] = completeUs;
    this.values[slot] = value;
    this.outcomes[slot] = outcome;
    return slot;
  }

  free(slot: number): void {
    this.#free[this.#freeCount++] = slot;
  }

  #grow(): void {
    const old = this.clientIds.length;
    const grow = <T extends Uint32Array | Float64Array | Uint8Array>(column: T): T => {
      const bigger = new (column.constructor as new (size: number) => T)(2 * old);
      bigger.set(column);
      return bigger;
    };
    this.clientIds = grow(this.clientIds);
    this.invokeUs = grow(this.invokeUs);
    this.completeUs = grow(this.completeUs);
    this.values = grow(this.values);
    this.outcomes = grow(this.outcomes);
    this.processes = grow(this.processes);
    this.invokeIndex = grow(this.invokeIndex);
    this.#free = new Uint32Array(2 * old);
    for (let i = 0; i < old; i++) this.#free[i] = 2 * old - 1 - i;
    this.#freeCount = old;
  }
}
