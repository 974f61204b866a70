/**
 * Random small counter histories as a faulty server and unlucky clients would make them, for
 * judging the checker against the brute-force oracle: a simulated server applies each
 * increment at a random point inside its call (or later, or never, when the call's fate is
 * unknown) and answers with a value that one of its faults may bend; the tester reads the
 * count before the load and after every acknowledged or failed call has ended.
 */
import { History, Outcome, type HistoryData } from '../../tester/check/history.js';
import type { ReadWindow } from '../../tester/check/linearizability-checker.js';

export const SERVER_FAULTS = ['correct', 'lossy', 'duplicating', 'stale', 'reordered', 'skipping'] as const;
export type ServerFault = (typeof SERVER_FAULTS)[number];

export interface RandomHistory {
  fault: ServerFault;
  data: HistoryData;
  initial: number;
  /** undefined when the final read failed. */
  final: number | undefined;
  /** The initial read, and the final one when it succeeded. */
  reads: ReadWindow[];
}

interface Call {
  client: number;
  invoke: number;
  complete: number;
  outcome: Outcome;
  /** When the server applies it; undefined: never. */
  point: number | undefined;
  value: number;
}

/** How big: up to `clients` clients making up to `callsPerClient` calls each, `maxCalls` in all. */
export interface HistorySize {
  maxCalls: number;
  clients: number;
  callsPerClient: number;
  /** How often the server's fault strikes an applied call (default 0.15). */
  faultRate?: number;
  /** How often an acknowledged call loses its value (default 0.08). */
  dropRate?: number;
}

const small: HistorySize = { maxCalls: 12, clients: 4, callsPerClient: 4 };

export function randomHistory(random: () => number, fault: ServerFault, size: HistorySize = small): RandomHistory {
  const int = (n: number) => Math.floor(random() * n);
  const initial = int(4);
  const calls = clientCalls(random, 1 + int(size.clients), size);
  const ended = calls.filter((call) => call.outcome !== Outcome.indeterminate);
  // Strictly after: the tester reads the count once every client has its answer.
  const readAt = Math.max(2, ...ended.map((call) => call.complete)) + 1 + int(2);
  const finalRead = { invokeUs: readAt, completeUs: readAt + 1 + int(3) };
  const readPoint = finalRead.invokeUs + random() * (finalRead.completeUs - finalRead.invokeUs);
  const finalValue = serve(calls, initial, fault, random, readPoint, size.faultRate ?? 0.15);
  if (fault === 'reordered') swapTwoValues(calls, random);
  const valueless = random() < 0.1; // a method that returns no values at all
  const history = new History();
  for (const call of calls) {
    const dropValue = valueless || random() < (size.dropRate ?? 0.08);
    const value = call.outcome === Outcome.ok && !dropValue ? call.value : undefined;
    history.record(call.client, call.invoke, call.complete, value, call.outcome);
  }
  const readFails = random() < 0.05;
  const reads: ReadWindow[] = [{ value: initial, invokeUs: 0, completeUs: 1 }];
  if (!readFails) reads.push({ value: finalValue, ...finalRead });
  return { fault, data: history.data(), initial, final: readFails ? undefined : finalValue, reads };
}

/** Each client's calls one after another, on a coarse clock so that calls often touch in time. */
function clientCalls(random: () => number, clientCount: number, { maxCalls, callsPerClient }: HistorySize): Call[] {
  const int = (n: number) => Math.floor(random() * n);
  const calls: Call[] = [];
  for (let client = 0; client < clientCount; client++) {
    let time = 2 + int(3);
    for (let k = 1 + int(callsPerClient); k > 0 && calls.length < maxCalls; k--) {
      const complete = time + 1 + int(6);
      const fate = random();
      const outcome = fate < 0.06 ? Outcome.failed : fate < 0.16 ? Outcome.indeterminate : Outcome.ok;
      calls.push({ client, invoke: time, complete, outcome, point: applyPoint(random, time, complete, outcome), value: NaN });
      time = complete + int(3);
    }
  }
  return calls;
}

/** Acknowledged calls take effect inside the call; a failed one rarely (a bug); an unknown one maybe, maybe late. */
function applyPoint(random: () => number, invoke: number, complete: number, outcome: Outcome): number | undefined {
  if (outcome === Outcome.ok) return invoke + random() * (complete - invoke);
  if (outcome === Outcome.failed) return random() < 0.15 ? invoke + random() * (complete - invoke) : undefined;
  return random() < 0.5 ? invoke + random() * 25 : undefined;
}

/** Applies the calls in point order with the server's fault; returns the count at `readPoint`. */
function serve(calls: Call[], initial: number, fault: ServerFault, random: () => number, readPoint: number, faultRate: number): number {
  const applied = calls.filter((call) => call.point !== undefined).sort((a, b) => a.point! - b.point!);
  let state = initial;
  let finalValue: number | undefined;
  let previous = initial;
  for (const call of applied) {
    if (finalValue === undefined && call.point! > readPoint) finalValue = state;
    const unlucky = random() < faultRate;
    if (fault === 'lossy' && unlucky) call.value = state + 1; // written, then overwritten: not counted
    else if (fault === 'duplicating' && unlucky) call.value = (state += 1) && previous; // counted, answered twice
    else if (fault === 'stale' && unlucky) call.value = (state += 1) - 1 - Math.floor(random() * 2);
    else if (fault === 'skipping' && unlucky) call.value = state += 2;
    else call.value = state += 1;
    previous = call.value;
  }
  return finalValue ?? state;
}

function swapTwoValues(calls: Call[], random: () => number): void {
  if (random() < 0.5 || calls.length < 2) return;
  const [a, b] = [Math.floor(random() * calls.length), Math.floor(random() * calls.length)];
  [calls[a].value, calls[b].value] = [calls[b].value, calls[a].value];
}
