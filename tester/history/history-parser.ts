/**
 * A saved history's lines, JSON Lines or EDN (told apart by the first line), taken one by one
 * and put back into the shape the run had: the clients' calls go on as `CallBatch`es in
 * completion order (each with its invoke's index in the file and its Jepsen process), and the
 * rest (the run's metadata, the tester's calls, the nemesis's events) is kept. Times come back
 * as microseconds since the run started.
 *
 * What is held is the calls in flight, never the history's length, and nothing is allocated
 * from a number in the file, so a hostile one costs what its events do. Any input it cannot
 * take ends as one HistoryError naming the line; a last line cut short (no newline, not an
 * event: a writer stopped mid-line) is skipped with a warning.
 */
import type { CallBatch, CallSink } from '../check/call-batch.js';
import { Outcome } from '../check/history.js';
import { CallBatches } from './call-batches.js';
import { parseEdn } from './edn.js';
import { scanEvent } from './event-scanner.js';
import type { HistoryFormat } from './line-spelling.js';
import type { NemesisEvent } from './nemesis-event.js';
import type { ClockOffset, ControlOp, EventType, RunHistory, RunMeta, SegmentMeta, ThresholdResult } from './run-history.js';
import type { ScannedEvent } from './scanned-event.js';

/** A history that cannot be read, named by file and line. */
export class HistoryError extends Error {}

/** What a sink threw: its own bug, not the file's, so it is passed on as it was (`cause`). */
export class SinkError extends Error {}

/**
 * What comes before the calls: the run's metadata as the first line has it (a history saved as
 * the run went has its end's fields, unreadableCount and thresholds, only in the rest) and the
 * tester's calls before the load. Times are microseconds since the run started (`originUs` 0).
 */
export type HistoryHead = Pick<RunHistory, 'meta' | 'originUs' | 'controlOps'>;
/** Everything but the calls: what a reader returns once the calls went to a sink. */
export type HistoryRest = Omit<RunHistory, 'ops'>;
/** The sink for the calls, or a function that opens it once the head is read (at the first call). */
export type CallSinkChoice = CallSink | ((head: HistoryHead) => CallSink);

interface Event extends ScannedEvent {
  run?: Partial<RunMeta>;
}

const OUTCOMES: Partial<Record<string, Outcome>> = {
  ok: Outcome.ok,
  fail: Outcome.failed,
  info: Outcome.indeterminate,
};
const [OPEN, QUOTE] = [...'{"'].map((c) => c.charCodeAt(0));
const THRESHOLD_FLAGS = ['--max-p99', '--min-rps', '--max-errors'];
const THRESHOLD_UNITS = ['ms', 'requests/s', 'errors'];
/** The largest client count a history may name: far more clients than any run opens. */
const MAX_CLIENTS = 2 ** 31 - 1;
/** The metadata a run knows only at its end, which it saves on its last line. */
const END_FIELDS = ['unreadableCount', 'thresholds'];

export class HistoryParser {
  lineNumber = 0;
  readonly warnings: string[] = [];
  #format: HistoryFormat | undefined;
  readonly #scanned: Event = { time: 0, process: 0, type: '', f: '', value: null };
  #meta: RunMeta | undefined;
  readonly #controlOps: ControlOp[] = [];
  readonly #nemesisEvents: NemesisEvent[] = [];
  #sink: CallSinkChoice;
  #batches: CallBatches | undefined;
  readonly #pending = new PendingCalls();
  #eventCount = 0;
  #testerInvokeNs: number | undefined;
  #loadStarted = false;
  /** When the tester began its first call after the load: the count is read after every answer. */
  #afterLoadNs: number | undefined;
  #lastNs = 0;
  #testerInvokeIndex = 0;

  constructor(
    readonly path: string,
    sink: CallSinkChoice,
  ) {
    this.#sink = sink;
  }

  /** One line of the file (a `LineVisitor`). */
  line(bytes: Buffer, start: number, end: number, lineNumber: number, terminated: boolean): void {
    this.lineNumber = lineNumber;
    this.#format ??= formatOf(bytes.toString('utf8', start, end));
    const format = this.#format;
    if (format === undefined) return;
    let event: Event | undefined = this.#scanned;
    if (!scanEvent(bytes, start, end, format, this.#scanned)) {
      try {
        event = this.#parseLine(bytes.toString('utf8', start, end), format);
      } catch (err) {
        if (terminated || !(err instanceof HistoryError)) throw err;
        this.warnings.push(`line ${lineNumber} is cut short (the tester was stopped while writing it): skipped`);
        return;
      }
    }
    if (event !== undefined) this.#add(event);
  }

  /** The end of the file: calls never completed go on as indeterminate; the rest is returned. */
  finish(): HistoryRest {
    const meta = this.#meta;
    if (!meta) {
      throw new HistoryError(`${this.path}: no run metadata ("run" on the first event): was it saved by tester --history?`);
    }
    if (!this.#controlOps.some((op) => op.f === 'read' && op.type === 'ok')) {
      throw new HistoryError(`${this.path}: no read of the count by process "tester": the checker needs the initial count`);
    }
    if (meta.unreadableCount === undefined) {
      meta.unreadableCount = NaN;
      this.warnings.push(
        "it ends before the run's last line (no unreadableCount): the run is judged as far as it goes and cannot pass",
      );
    }
    // A call never completed by the end of the history may have taken effect (Jepsen's convention).
    const batches = this.#openBatches();
    this.#pending.forEach((client, process, invokeNs, invokeIndex) => {
      batches.add(client, invokeNs / 1000, this.#lastNs / 1000, NaN, Outcome.indeterminate, invokeIndex, process);
    });
    batches.flush();
    return { meta, originUs: 0, controlOps: this.#controlOps, nemesisEvents: this.#nemesisEvents };
  }

  error(message: string): HistoryError {
    return new HistoryError(`${this.path} line ${this.lineNumber}: ${message}`);
  }

  /** A line the scanner left, in either format; undefined for a blank one. */
  #parseLine(line: string, format: HistoryFormat): Event | undefined {
    if (line.trim() === '') return undefined;
    let event: Event;
    try {
      event = (format === 'edn' ? parseEdn(line) : JSON.parse(line)) as Event;
    } catch (err) {
      throw this.error(`not an event (${(err as Error).message})`);
    }
    if (!isEvent(event)) throw this.error('an event needs time, process, type and f');
    return event;
  }

  #add(event: Event): void {
    if (event.run !== undefined) this.#addMeta(event.run);
    this.#checkTime(event.time);
    const index = this.#eventCount++;
    if (event.process === 'nemesis') {
      const value = typeof event.value === 'string' ? event.value : JSON.stringify(event.value ?? null);
      this.#nemesisEvents.push({ time: event.time, f: event.f, value });
    } else if (event.process === 'tester') this.#addControl(event, index);
    else if (typeof event.process === 'number' && Number.isSafeInteger(event.process) && event.process >= 0) {
      this.#addIncrement(event, event.process, index);
    } else throw this.error(`process ${JSON.stringify(event.process)} is no client number, "tester" or "nemesis"`);
    // After the checks that name what is wrong more precisely: the judge reads events in time order.
    if (event.time < this.#lastNs) {
      throw this.error(`time ${event.time} is before the previous event's (${this.#lastNs}): a history is in time order`);
    }
    this.#lastNs = event.time;
  }

  /** The first event's `run` is the run's metadata; a later one (the last line's) adds what it knew at its end. */
  #addMeta(run: Partial<RunMeta>): void {
    if (this.#meta === undefined) {
      this.#meta = { ...this.#checkedStart(run), ...this.#checkedEnd(run) };
      return;
    }
    const other = Object.keys(run ?? {}).find((key) => !END_FIELDS.includes(key));
    if (other !== undefined) {
      throw this.error(`run.${other} after the first line: only ${END_FIELDS.join(' and ')} come later`);
    }
    Object.assign(this.#meta, this.#checkedEnd(run));
  }

  /** The metadata the run knows from its start, each field of the type the judge reads it as. */
  #checkedStart(run: Partial<RunMeta>): RunMeta {
    const { clientCount, counter, promisesExact, linearizable } = run ?? {};
    if (!Number.isSafeInteger(clientCount) || clientCount! < 1 || clientCount! > MAX_CLIENTS) {
      throw this.#wrong('clientCount', `a whole number from 1 to ${MAX_CLIENTS}`, clientCount);
    }
    if (typeof counter !== 'string') throw this.#wrong('counter', 'a string', counter);
    if (typeof promisesExact !== 'boolean') throw this.#wrong('promisesExact', 'true or false', promisesExact);
    if (typeof linearizable !== 'boolean') throw this.#wrong('linearizable', 'true or false', linearizable);
    if (run.segment !== undefined && !isSegmentMeta(run.segment)) {
      throw this.#wrong('segment', 'a segment ({index, count, wallClockOriginUs, clockOffset?})', run.segment);
    }
    return run as RunMeta;
  }

  /** unreadableCount and thresholds, where given. */
  #checkedEnd(run: Partial<RunMeta>): Partial<RunMeta> {
    const { unreadableCount, thresholds } = run ?? {};
    if (unreadableCount !== undefined && (!Number.isSafeInteger(unreadableCount) || unreadableCount < 0)) {
      throw this.#wrong('unreadableCount', 'a whole number from 0', unreadableCount);
    }
    if (thresholds !== undefined && !(Array.isArray(thresholds) && thresholds.every(isThreshold))) {
      throw this.#wrong('thresholds', 'a list of threshold results', thresholds);
    }
    return run;
  }

  #wrong(field: string, want: string, value: unknown): HistoryError {
    return this.error(`run.${field} ${JSON.stringify(value) ?? 'missing'} is not ${want}`);
  }

  /** Whole nanoseconds from the run's start: a float or a value beyond 2^53 would be rounded. */
  #checkTime(time: number): void {
    if (!Number.isSafeInteger(time) || time < 0) {
      throw this.error(`time ${time} is not a whole number of nanoseconds from 0 to 2^53 - 1 (read exactly)`);
    }
  }

  /** A count: a whole number exactly as written, or no value. */
  #valueOf(event: Event): number | undefined {
    if (typeof event.value !== 'number') return undefined;
    if (!Number.isSafeInteger(event.value)) {
      throw this.error(`value ${event.value} is not a whole number within ±(2^53 - 1), so it cannot be read exactly`);
    }
    return event.value;
  }

  #addControl(event: Event, index: number): void {
    const invokeNs = this.#testerInvokeNs;
    if (event.type === 'invoke') {
      if (invokeNs !== undefined) throw this.error('process "tester" invoked twice');
      if (this.#loadStarted) this.#beginAfterLoad(event);
      [this.#testerInvokeNs, this.#testerInvokeIndex] = [event.time, index];
      return;
    }
    if (invokeNs === undefined) throw this.error('process "tester" completed a call it never invoked');
    if (event.time < invokeNs) throw this.error(`process "tester" completed at ${event.time}, before it invoked`);
    this.#testerInvokeNs = undefined;
    const value = this.#valueOf(event) ?? null;
    const f = event.f === 'reset' ? 'reset' : 'read';
    const type = event.type as ControlOp['type'];
    const invokeIndex = this.#testerInvokeIndex;
    this.#controlOps.push({ f, invokeUs: invokeNs / 1000, completeUs: event.time / 1000, type, value, invokeIndex });
  }

  /**
   * The tester's calls after the load read the count once every client has its answer: a reset
   * or a call still to be answered then would make the count checks meaningless.
   */
  #beginAfterLoad(event: Event): void {
    if (event.f === 'reset') throw this.error('process "tester" resets the count after the load began');
    this.#afterLoadNs ??= event.time;
  }

  /** A client's call: its process, renumbered after each `info`, is the client modulo the client count. */
  #addIncrement(event: Event, process: number, index: number): void {
    if (!this.#meta || event.f !== 'inc') {
      throw this.error("clients only increment (f inc), after the first line's run metadata");
    }
    const client = process % this.#meta.clientCount;
    const pending = this.#pending;
    const slot = pending.slotOf(client);
    if (event.type === 'invoke') {
      if (this.#afterLoadNs !== undefined) {
        throw this.error(`process ${process} invoked after the tester's final read began`);
      }
      if (slot >= 0 && pending.processes[slot] === process) throw this.error(`process ${process} invoked twice`);
      if (slot >= 0) {
        throw this.error(`process ${process} invoked while process ${pending.processes[slot]}, its client, is in a call`);
      }
      this.#loadStarted = true;
      pending.add(client, process, event.time, index);
      return;
    }
    if (slot < 0 || pending.processes[slot] !== process) {
      throw this.error(`process ${process} completed a call it never invoked`);
    }
    const invokeNs = pending.invokeNs[slot];
    if (event.time < invokeNs) throw this.error(`process ${process} completed at ${event.time}, before it invoked`);
    const outcome = OUTCOMES[event.type as EventType] as Outcome;
    if (outcome !== Outcome.indeterminate && this.#afterLoadNs !== undefined && event.time >= this.#afterLoadNs) {
      throw this.error(`process ${process} answered after the tester's final read began: read the count after the load`);
    }
    const value = outcome === Outcome.ok ? (this.#valueOf(event) ?? NaN) : NaN;
    const invokeIndex = pending.invokeIndex[slot];
    pending.remove(client, slot);
    this.#openBatches().add(client, invokeNs / 1000, event.time / 1000, value, outcome, invokeIndex, process);
  }

  /** When the oldest call not yet handed on began: the oldest in flight, or the line being read. */
  #pendingSinceUs(): number {
    return Math.min(this.#pending.oldestInvokeNs(), this.#lastNs) / 1000;
  }

  /** The sink's batches, the sink opened on the head read so far. */
  #openBatches(): CallBatches {
    if (this.#batches) return this.#batches;
    const sink = this.#sink;
    const head = { meta: this.#meta!, originUs: 0, controlOps: this.#controlOps };
    const opened = typeof sink === 'function' ? sink(head) : sink;
    const guarded = {
      add(batch: CallBatch) {
        try {
          opened.add(batch);
        } catch (err) {
          throw new SinkError('the sink failed', { cause: err });
        }
      },
    };
    this.#batches = new CallBatches([guarded], () => this.#pendingSinceUs());
    return this.#batches;
  }
}

/** JSON when the first line opens an object with a quoted key; EDN otherwise; undefined for a blank line. */
function formatOf(line: string): HistoryFormat | undefined {
  const text = line.trim();
  if (text === '') return undefined;
  return text.charCodeAt(0) === OPEN && text.slice(1).trimStart().charCodeAt(0) === QUOTE ? 'jsonl' : 'edn';
}

function isEvent(event: Event): boolean {
  const { time, process, type, f } = event ?? {};
  const known = type === 'invoke' || type in OUTCOMES;
  return typeof time === 'number' && process !== undefined && typeof f === 'string' && known;
}

function isThreshold(check: ThresholdResult): boolean {
  const { flag, limit, actual, unit, passed } = check ?? {};
  const numbers = typeof limit === 'number' && typeof actual === 'number';
  return THRESHOLD_FLAGS.includes(flag) && THRESHOLD_UNITS.includes(unit) && numbers && typeof passed === 'boolean';
}

/**
 * The calls in flight, by client: slots of typed columns found through one map, so that a
 * call costs no object. A client's slot is freed by its completion.
 */
class PendingCalls {
  readonly #slots = new Map<number, number>();
  processes = new Float64Array(64);
  invokeNs = new Float64Array(64);
  invokeIndex = new Float64Array(64);
  #free: number[] = [];
  #used = 0;

  /** The client's call in flight, or -1. */
  slotOf(client: number): number {
    return this.#slots.get(client) ?? -1;
  }

  add(client: number, process: number, invokeNs: number, invokeIndex: number): void {
    const slot = this.#free.pop() ?? this.#used++;
    if (slot >= this.processes.length) this.#grow();
    this.processes[slot] = process;
    this.invokeNs[slot] = invokeNs;
    this.invokeIndex[slot] = invokeIndex;
    this.#slots.set(client, slot);
  }

  remove(client: number, slot: number): void {
    this.#slots.delete(client);
    this.#free.push(slot);
  }

  /** When the oldest call in flight began (Infinity: none); a client's new call moves it to the end. */
  oldestInvokeNs(): number {
    const oldest = this.#slots.values().next();
    return oldest.done ? Infinity : this.invokeNs[oldest.value];
  }

  /** Every call still in flight, in the order their clients last began one. */
  forEach(visit: (client: number, process: number, invokeNs: number, invokeIndex: number) => void): void {
    for (const [client, slot] of this.#slots) {
      visit(client, this.processes[slot], this.invokeNs[slot], this.invokeIndex[slot]);
    }
  }

  #grow(): void {
    const size = 2 * this.processes.length;
    const grow = (column: Float64Array) => {
      const bigger = new Float64Array(size);
      bigger.set(column);
      return bigger;
    };
    this.processes = grow(this.processes);
    this.invokeNs = grow(this.invokeNs);
    this.invokeIndex = grow(this.invokeIndex);
  }
}

function isSegmentMeta(value: unknown): value is SegmentMeta {
  const { index, count, wallClockOriginUs, clockOffset } = (value ?? {}) as Partial<SegmentMeta>;
  const offset = clockOffset as Partial<ClockOffset> | undefined;
  return (
    Number.isSafeInteger(count) &&
    count! >= 1 &&
    Number.isSafeInteger(index) &&
    index! >= 1 &&
    index! <= count! &&
    Number.isFinite(wallClockOriginUs) &&
    (offset === undefined ||
      (Number.isFinite(offset.lowUs) &&
        Number.isFinite(offset.highUs) &&
        offset.lowUs! <= offset.highUs! &&
        typeof offset.against === 'string'))
  );
}
