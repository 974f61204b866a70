/**
 * Loads a saved history, JSON Lines or EDN (told apart by its first line), back into the
 * shape the run had: the clients' increments as columns, the tester's calls, the nemesis's
 * events and the run's metadata. Times come back as microseconds since the run started.
 */
import fs from 'node:fs';
import { History, Outcome } from '../check/history.js';
import { parseEdn } from './edn.js';
import { scanEvent, type ScannedEvent } from './event-scanner.js';
import { forEachLine } from './file-lines.js';
import type { HistoryFormat } from './line-spelling.js';
import type { NemesisEvent } from './nemesis-event.js';
import type { ControlOp, EventType, RunHistory, RunMeta } from './run-history.js';

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
/** Fewer bytes than an operation's two lines take, as we write them (~165) or as Jepsen does (~150). */
const BYTES_PER_OPERATION = 96;
const [OPEN, QUOTE] = [...'{"'].map((c) => c.charCodeAt(0));

export function readHistory(path: string): RunHistory {
  const assembler = new HistoryAssembler(path);
  const scanned: Event = { time: 0, process: 0, type: '', f: '', value: null };
  let format: HistoryFormat | undefined;
  forEachLine(path, (bytes, start, end, lineNumber) => {
    assembler.lineNumber = lineNumber;
    format ??= formatOf(bytes.toString('utf8', start, end));
    if (format === undefined) return;
    const fast = scanEvent(bytes, start, end, format, scanned);
    const event = fast ? scanned : parseLine(bytes.toString('utf8', start, end), format, assembler);
    if (event !== undefined) assembler.add(event);
  });
  return assembler.history();
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

/** The events read so far, put back into the run's shape. */
class HistoryAssembler {
  lineNumber = 0;
  #meta: RunMeta | undefined;
  readonly #ops: History;
  readonly #controlOps: ControlOp[] = [];
  readonly #nemesisEvents: NemesisEvent[] = [];
  /**
   * Calls in flight, by client (a process modulo the client count, as Jepsen's threads): the
   * invoke time (ns) and the process that made it, -1 when the client is idle.
   */
  #invokeNs = new Float64Array(0);
  #invoker = new Float64Array(0);
  #testerInvokeNs: number | undefined;

  constructor(readonly path: string) {
    // Room for every operation from the start: growing copies each column again and again.
    this.#ops = new History(Math.ceil(fs.statSync(path).size / BYTES_PER_OPERATION));
  }

  add(event: Event): void {
    this.#meta ??= event.run;
    if (event.process === 'nemesis') {
      const value = typeof event.value === 'string' ? event.value : JSON.stringify(event.value ?? null);
      this.#nemesisEvents.push({ time: event.time, f: event.f, value });
    } else if (event.process === 'tester') this.#addControl(event);
    else if (typeof event.process === 'number' && Number.isInteger(event.process) && event.process >= 0) {
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
    const ops = this.#ops.data();
    return { meta, originUs: 0, controlOps: this.#controlOps, ops, nemesisEvents: this.#nemesisEvents };
  }

  error(message: string): HistoryError {
    return new HistoryError(`${this.path} line ${this.lineNumber}: ${message}`);
  }

  #addControl(event: Event): void {
    const invokeNs = this.#testerInvokeNs;
    if (event.type === 'invoke') {
      if (invokeNs !== undefined) throw this.error('process "tester" invoked twice');
      this.#testerInvokeNs = event.time;
      return;
    }
    if (invokeNs === undefined) throw this.error('process "tester" completed a call it never invoked');
    this.#testerInvokeNs = undefined;
    const value = typeof event.value === 'number' ? event.value : null;
    const f = event.f === 'reset' ? 'reset' : 'read';
    const type = event.type as ControlOp['type'];
    this.#controlOps.push({ f, invokeUs: invokeNs / 1000, completeUs: event.time / 1000, type, value });
  }

  /** A client's call: its process, renumbered after each `info`, is the client modulo the client count. */
  #addIncrement(event: Event, process: number): void {
    if (!this.#meta || event.f !== 'inc') {
      throw this.error("clients only increment (f inc), after the first line's run metadata");
    }
    const client = process % this.#meta.clientCount;
    if (this.#invoker.length === 0) this.#idle(this.#meta.clientCount);
    const invoker = this.#invoker[client];
    if (event.type === 'invoke') {
      if (invoker === process) throw this.error(`process ${process} invoked twice`);
      if (invoker >= 0) {
        throw this.error(`process ${process} invoked while process ${invoker}, its client, is in a call`);
      }
      this.#invoker[client] = process;
      this.#invokeNs[client] = event.time;
      return;
    }
    if (invoker !== process) throw this.error(`process ${process} completed a call it never invoked`);
    this.#invoker[client] = -1;
    const outcome = OUTCOMES[event.type as EventType] as Outcome;
    const value = outcome === Outcome.ok && typeof event.value === 'number' ? event.value : undefined;
    this.#ops.record(client, this.#invokeNs[client] / 1000, event.time / 1000, value, outcome);
  }

  #idle(clientCount: number): void {
    this.#invokeNs = new Float64Array(clientCount);
    this.#invoker = new Float64Array(clientCount).fill(-1);
  }
}
