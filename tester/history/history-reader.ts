/**
 * Loads a saved history, JSON Lines or EDN (told apart by its first line), back into the
 * shape the run had: the clients' increments as columns, the tester's calls, the nemesis's
 * events and the run's metadata. Times come back as microseconds since the run started.
 */
import { History, Outcome } from '../check/history.js';
import { parseEdn } from './edn.js';
import { scanEvent } from './event-scanner.js';
import type { ScannedEvent } from './scanned-event.js';
import { forEachLine, LineTooLongError } from './line-reader.js';
import type { HistoryFormat } from './line-spelling.js';
import type { NemesisEvent } from './nemesis-event.js';
import type { ControlOp, EventType, RunHistory, RunMeta, ThresholdResult } from './run-history.js';

/** A history that cannot be read, named by file and line. */
export class HistoryError extends Error {}

interface Event extends ScannedEvent {
  run?: RunMeta;
}

const OUTCOMES: Partial<Record<string, Outcome>> = {
  ok: Outcome.ok,
  fail: Outcome.failed,
  info: Outcome.indeterminate,
};
const [OPEN, QUOTE] = [...'{"'].map((c) => c.charCodeAt(0));

/** Reads `path` (`-`: standard input); any input it cannot take ends as one HistoryError naming the line. */
export function readHistory(path: string): RunHistory {
  const assembler = new HistoryAssembler(path === '-' ? 'standard input' : path);
  const scanned: Event = { time: 0, process: 0, type: '', f: '', value: null };
  let format: HistoryFormat | undefined;
  try {
    forEachLine(path, (bytes, start, end, lineNumber) => {
      assembler.lineNumber = lineNumber;
      format ??= formatOf(bytes.toString('utf8', start, end));
      if (format === undefined) return;
      const fast = scanEvent(bytes, start, end, format, scanned);
      const event = fast ? scanned : parseLine(bytes.toString('utf8', start, end), format, assembler);
      if (event !== undefined) assembler.add(event);
    });
  } catch (err) {
    throw asHistoryError(err, assembler);
  }
  return assembler.history();
}

/** Whatever went wrong while reading, as one line for the user: no input may end in a stack trace. */
function asHistoryError(err: unknown, assembler: HistoryAssembler): HistoryError {
  if (err instanceof HistoryError) return err;
  if (err instanceof LineTooLongError) return new HistoryError(`${assembler.path} line ${err.lineNumber}: ${err.message}`);
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== undefined) return new HistoryError(`${assembler.path}: cannot read it (${(err as Error).message})`);
  return assembler.error(`cannot read it (${err instanceof Error ? err.message : String(err)})`);
}

/** JSON when the first line opens an object with a quoted key; EDN otherwise; undefined for a blank line. */
function formatOf(line: string): HistoryFormat | undefined {
  const text = line.trim();
  if (text === '') return undefined;
  return text.charCodeAt(0) === OPEN && text.slice(1).trimStart().charCodeAt(0) === QUOTE ? 'jsonl' : 'edn';
}

/** A line the scanner left, in either format; undefined for a blank one. */
function parseLine(line: string, format: HistoryFormat, assembler: HistoryAssembler): Event | undefined {
  if (line.trim() === '') return undefined;
  let event: Event;
  try {
    event = (format === 'edn' ? parseEdn(line) : JSON.parse(line)) as Event;
  } catch (err) {
    throw assembler.error(`not an event (${(err as Error).message})`);
  }
  if (!isEvent(event)) throw assembler.error('an event needs time, process, type and f');
  return event;
}

function isEvent(event: Event): boolean {
  const { time, process, type, f } = event ?? {};
  const known = type === 'invoke' || type in OUTCOMES;
  return typeof time === 'number' && process !== undefined && typeof f === 'string' && known;
}

const THRESHOLD_FLAGS = ['--max-p99', '--min-rps', '--max-errors'];
const THRESHOLD_UNITS = ['ms', 'requests/s', 'errors'];

function isThreshold(check: ThresholdResult): boolean {
  const { flag, limit, actual, unit, passed } = check ?? {};
  const numbers = typeof limit === 'number' && typeof actual === 'number';
  return THRESHOLD_FLAGS.includes(flag) && THRESHOLD_UNITS.includes(unit) && numbers && typeof passed === 'boolean';
}

/** The largest client count a history may name: far more clients than any run opens. */
const MAX_CLIENTS = 2 ** 31 - 1;

/** A client's call in flight: the process that made it and when. */
interface Pending {
  process: number;
  invokeNs: number;
}

/**
 * The events read so far, put back into the run's shape. It holds what the tester writes: its
 * own calls before the load (resets, the initial read) and after it (the final reads), the
 * clients' increments in between. Nothing is allocated from a number in the file, so a hostile
 * one costs what its events do.
 */
class HistoryAssembler {
  lineNumber = 0;
  #meta: RunMeta | undefined;
  readonly #ops = new History();
  readonly #controlOps: ControlOp[] = [];
  readonly #nemesisEvents: NemesisEvent[] = [];
  /** Calls in flight, by client (a process modulo the client count, as Jepsen's threads). */
  readonly #pending = new Map<number, Pending>();
  #testerInvokeNs: number | undefined;
  #loadStarted = false;
  /** When the tester began its first call after the load: the count is read after every answer. */
  #afterLoadNs: number | undefined;
  #lastNs = 0;

  constructor(readonly path: string) {}

  add(event: Event): void {
    this.#meta ??= this.#checkedMeta(event.run);
    this.#checkTime(event.time);
    if (event.process === 'nemesis') {
      const value = typeof event.value === 'string' ? event.value : JSON.stringify(event.value ?? null);
      this.#nemesisEvents.push({ time: event.time, f: event.f, value });
    } else if (event.process === 'tester') this.#addControl(event);
    else if (typeof event.process === 'number' && Number.isSafeInteger(event.process) && event.process >= 0) {
      this.#addIncrement(event, event.process);
    } else throw this.error(`process ${JSON.stringify(event.process)} is no client number, "tester" or "nemesis"`);
  }

  history(): RunHistory {
    const meta = this.#meta;
    if (!meta) {
      throw new HistoryError(
        `${this.path}: no run metadata ("run" on the first event): was it saved by tester --history?`,
      );
    }
    if (!this.#controlOps.some((op) => op.f === 'read' && op.type === 'ok')) {
      throw new HistoryError(
        `${this.path}: no read of the count by process "tester": the checker needs the initial count`,
      );
    }
    // A call never completed by the end of the history may have taken effect (Jepsen's convention).
    for (const [client, { invokeNs }] of this.#pending) {
      this.#ops.record(client, invokeNs / 1000, this.#lastNs / 1000, undefined, Outcome.indeterminate);
    }
    this.#pending.clear();
    const ops = this.#ops.data();
    return { meta, originUs: 0, controlOps: this.#controlOps, ops, nemesisEvents: this.#nemesisEvents };
  }

  error(message: string): HistoryError {
    return new HistoryError(`${this.path} line ${this.lineNumber}: ${message}`);
  }

  /** The run's metadata, each field of the type the judge reads it as. */
  #checkedMeta(run: RunMeta | undefined): RunMeta | undefined {
    if (run === undefined) return undefined;
    const { clientCount, counter, promisesExact, linearizable, unreadableCount, thresholds } = run ?? {};
    const wrong = (field: string, want: string, value: unknown) =>
      this.error(`run.${field} ${JSON.stringify(value) ?? 'missing'} is not ${want}`);
    if (!Number.isSafeInteger(clientCount) || clientCount < 1 || clientCount > MAX_CLIENTS) {
      throw wrong('clientCount', `a whole number from 1 to ${MAX_CLIENTS}`, clientCount);
    }
    if (typeof counter !== 'string') throw wrong('counter', 'a string', counter);
    if (typeof promisesExact !== 'boolean') throw wrong('promisesExact', 'true or false', promisesExact);
    if (typeof linearizable !== 'boolean') throw wrong('linearizable', 'true or false', linearizable);
    if (!Number.isSafeInteger(unreadableCount) || unreadableCount < 0) {
      throw wrong('unreadableCount', 'a whole number from 0', unreadableCount);
    }
    if (thresholds !== undefined && !(Array.isArray(thresholds) && thresholds.every(isThreshold))) {
      throw wrong('thresholds', 'a list of threshold results', thresholds);
    }
    return run;
  }

  /** Whole nanoseconds from the run's start: a float or a value beyond 2^53 would be rounded. */
  #checkTime(time: number): void {
    if (!Number.isSafeInteger(time) || time < 0) {
      throw this.error(`time ${time} is not a whole number of nanoseconds from 0 to 2^53 - 1 (read exactly)`);
    }
    this.#lastNs = Math.max(this.#lastNs, time);
  }

  /** A count: a whole number exactly as written, or no value. */
  #valueOf(event: Event): number | undefined {
    if (typeof event.value !== 'number') return undefined;
    if (!Number.isSafeInteger(event.value)) {
      throw this.error(`value ${event.value} is not a whole number within ±(2^53 - 1), so it cannot be read exactly`);
    }
    return event.value;
  }

  #addControl(event: Event): void {
    const invokeNs = this.#testerInvokeNs;
    if (event.type === 'invoke') {
      if (invokeNs !== undefined) throw this.error('process "tester" invoked twice');
      if (this.#loadStarted) this.#beginAfterLoad(event);
      this.#testerInvokeNs = event.time;
      return;
    }
    if (invokeNs === undefined) throw this.error('process "tester" completed a call it never invoked');
    if (event.time < invokeNs) throw this.error(`process "tester" completed at ${event.time}, before it invoked`);
    this.#testerInvokeNs = undefined;
    const value = this.#valueOf(event) ?? null;
    const f = event.f === 'reset' ? 'reset' : 'read';
    const type = event.type as ControlOp['type'];
    this.#controlOps.push({ f, invokeUs: invokeNs / 1000, completeUs: event.time / 1000, type, value });
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
  #addIncrement(event: Event, process: number): void {
    if (!this.#meta || event.f !== 'inc') {
      throw this.error("clients only increment (f inc), after the first line's run metadata");
    }
    const client = process % this.#meta.clientCount;
    const pending = this.#pending.get(client);
    if (event.type === 'invoke') {
      if (this.#afterLoadNs !== undefined) throw this.error(`process ${process} invoked after the tester's final read began`);
      if (pending?.process === process) throw this.error(`process ${process} invoked twice`);
      if (pending) throw this.error(`process ${process} invoked while process ${pending.process}, its client, is in a call`);
      this.#loadStarted = true;
      this.#pending.set(client, { process, invokeNs: event.time });
      return;
    }
    if (pending?.process !== process) throw this.error(`process ${process} completed a call it never invoked`);
    if (event.time < pending.invokeNs) throw this.error(`process ${process} completed at ${event.time}, before it invoked`);
    const outcome = OUTCOMES[event.type as EventType] as Outcome;
    if (outcome !== Outcome.indeterminate && this.#afterLoadNs !== undefined && event.time >= this.#afterLoadNs) {
      throw this.error(`process ${process} answered after the tester's final read began: read the count after the load`);
    }
    this.#pending.delete(client);
    const value = outcome === Outcome.ok ? this.#valueOf(event) : undefined;
    this.#ops.record(client, pending.invokeNs / 1000, event.time / 1000, value, outcome);
  }
}
