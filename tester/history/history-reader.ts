/**
 * Loads a saved history, JSON Lines or EDN (told apart by the first line), back into the
 * shape the run had: the clients' increments as columns, the tester's calls, the nemesis's
 * events and the run's metadata. Times come back as microseconds since the run started.
 */
import fs from 'node:fs';
import { History, Outcome } from '../check/history.js';
import { parseEdn } from './edn.js';
import { scanJsonlEvent, type ScannedEvent } from './jsonl-event.js';
import type { NemesisEvent } from './nemesis-event.js';
import type { ControlOp, EventType, RunHistory, RunMeta } from './run-history.js';

/** A history that cannot be read, named by file and line. */
export class HistoryError extends Error {}

interface Event {
  time: number;
  process: number | string;
  type: EventType;
  f: string;
  value: unknown;
  run?: RunMeta;
}

const OUTCOMES: Partial<Record<EventType, Outcome>> = {
  ok: Outcome.ok,
  fail: Outcome.failed,
  info: Outcome.indeterminate,
};

export function readHistory(path: string): RunHistory {
  const text = fs.readFileSync(path, 'utf8');
  const edn = text.startsWith('{:');
  let meta: RunMeta | undefined;
  const ops = new History(1 << 16);
  const controlOps: ControlOp[] = [];
  const nemesisEvents: NemesisEvent[] = [];
  /** Invoke time (ns) of each process's call in flight. */
  const pending = new Map<number | string, number>();
  const scanned: ScannedEvent = { time: 0, process: 0, type: '', f: '', value: null };
  for (let start = 0, lineNumber = 1; start < text.length; lineNumber++) {
    const newline = text.indexOf('\n', start);
    const end = newline < 0 ? text.length : newline;
    const where = () => `${path} line ${lineNumber}`;
    const fast = scanJsonlEvent(text, start, end, scanned);
    const event = fast ? (scanned as Event) : parseLine(text.slice(start, end), edn, where());
    start = end + 1;
    if (event === undefined) continue;
    meta ??= event.run;
    if (event.process === 'nemesis') {
      nemesisEvents.push({ time: event.time, f: event.f, value: String(event.value) });
      continue;
    }
    if (event.type === 'invoke') {
      if (pending.has(event.process)) throw new HistoryError(`${where()}: process ${event.process} invoked twice`);
      pending.set(event.process, event.time);
      continue;
    }
    const invokeNs = pending.get(event.process);
    if (invokeNs === undefined) {
      throw new HistoryError(`${where()}: process ${event.process} completed a call it never invoked`);
    }
    pending.delete(event.process);
    if (event.process === 'tester') controlOps.push(controlOp(event, invokeNs));
    else if (typeof event.process === 'number' && event.f === 'inc' && meta) {
      recordIncrement(ops, event, invokeNs, meta);
    } else throw new HistoryError(`${where()}: clients only increment (f inc), after the first line's run metadata`);
  }
  if (!meta) {
    throw new HistoryError(`${path}: no run metadata ("run" on the first event): was it saved by tester --history?`);
  }
  if (!controlOps.some((op) => op.f === 'read' && op.type === 'ok')) {
    throw new HistoryError(`${path}: no read of the count by process "tester": the checker needs the initial count`);
  }
  return { meta, originUs: 0, controlOps, ops: ops.data(), nemesisEvents };
}

/** A line in either format; undefined for a blank one. */
function parseLine(line: string, edn: boolean, where: string): Event | undefined {
  if (line.trim() === '') return undefined;
  let event: Event;
  try {
    event = (edn ? parseEdn(line) : JSON.parse(line)) as Event;
  } catch (err) {
    throw new HistoryError(`${where}: not an event (${(err as Error).message})`);
  }
  if (!isEvent(event)) throw new HistoryError(`${where}: an event needs time, process, type and f`);
  return event;
}

function isEvent(event: Event): boolean {
  const { time, process, type, f } = event ?? {};
  const known = type === 'invoke' || type in OUTCOMES;
  return typeof time === 'number' && process !== undefined && typeof f === 'string' && known;
}

function controlOp(event: Event, invokeNs: number): ControlOp {
  const value = typeof event.value === 'number' ? event.value : null;
  const f = event.f === 'reset' ? 'reset' : 'read';
  return { f, invokeUs: invokeNs / 1000, completeUs: event.time / 1000, type: event.type as ControlOp['type'], value };
}

/** A client's call: its process, renumbered after each `info`, is the client modulo the client count. */
function recordIncrement(ops: History, event: Event, invokeNs: number, meta: RunMeta): void {
  const value = event.type === 'ok' && typeof event.value === 'number' ? event.value : undefined;
  const clientId = (event.process as number) % meta.clientCount;
  ops.record(clientId, invokeNs / 1000, event.time / 1000, value, OUTCOMES[event.type] as Outcome);
}
