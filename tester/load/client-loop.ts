import * as hdr from 'hdr-histogram-js';
import type { Counter, ErrorKind } from '../../counters/counter.js';
import { CounterError, REFUSED_PAUSE_MS } from '../../counters/counter.js';
import { History, type HistoryData, monotonicUs, Outcome } from '../check/history.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { DELIVERY_MAX_CALLS } from './call-stream.js';

/** How long each client keeps calling: a number of calls, or until a deadline. */
export interface CallPlan {
  callsPerClient?: number;
  /** Monotonic microseconds after which no new call starts. */
  deadlineUs?: number;
  /** Open loop: each client's calls are due every `intervalUs`, from `startUs`. */
  intervalUs?: number;
  startUs: number;
}

/** A latency histogram: 1 us to 60 s, 3 significant digits. */
export function latencyHistogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
}

/** A history's arrays start this long, and grow to the size of a delivery. */
const MIN_BATCH_CALLS = 1 << 12;

/**
 * What the hot loop touches: plain counters, histograms, and the calls recorded since they were
 * last taken. `progress` is a shared Float64Array slot pair [done, errors] the main thread reads
 * for the progress bar.
 */
export class LoadRecorder {
  #calls = new History(MIN_BATCH_CALLS);
  /** Open loop: from when the call was due, so a stalled server is not hidden by the calls it delayed. */
  readonly latencyUs = latencyHistogram();
  /** Open loop only: from when the call was sent. */
  readonly uncorrectedUs = latencyHistogram();
  /** Open loop only: how late each call was sent after it was due. */
  readonly pacerLagUs = latencyHistogram();
  readonly errorCounts: Partial<Record<ErrorKind, number>> = {};
  /** First message seen per error kind, for the report. */
  readonly errorExamples: Partial<Record<ErrorKind, string>> = {};

  /** Called once DELIVERY_MAX_CALLS calls wait to be taken. */
  onFull: () => void = () => {};

  constructor(readonly progress: Float64Array<ArrayBufferLike> = new Float64Array(2)) {}

  /** The calls recorded since the last take; the recorder keeps none of them. */
  take(): HistoryData {
    const calls = this.#calls.data();
    // As long as this batch: a steady run's recording does not grow its arrays.
    this.#calls = new History(Math.max(MIN_BATCH_CALLS, calls.length));
    return calls;
  }

  /** A call that succeeded; `dueUs` is given in open loop only. */
  recordOk(clientId: number, dueUs: number | undefined, invokeUs: number, completeUs: number, value?: number): void {
    this.#record(clientId, invokeUs, completeUs, value, Outcome.ok);
    // Coordinated omission, as wrk2 corrects it.
    this.latencyUs.recordValue(Math.max(1, Math.round(completeUs - Math.min(dueUs ?? invokeUs, invokeUs))));
    if (dueUs !== undefined) {
      this.uncorrectedUs.recordValue(Math.max(1, Math.round(completeUs - invokeUs)));
      this.recordLag(dueUs, invokeUs);
    }
    this.progress[0]++;
  }

  /** A call that failed with `err`. */
  recordFailure(clientId: number, dueUs: number | undefined, invokeUs: number, completeUs: number, err: unknown): void {
    this.#record(clientId, invokeUs, completeUs, undefined, this.recordError(err));
    if (dueUs !== undefined) this.recordLag(dueUs, invokeUs);
  }

  /** Counts the error; returns what it means for the call: failed or indeterminate. */
  recordError(err: unknown): Outcome {
    const kind: ErrorKind = err instanceof CounterError ? err.kind : 'backend';
    this.errorCounts[kind] = (this.errorCounts[kind] ?? 0) + 1;
    this.errorExamples[kind] ??= err instanceof Error ? err.message : String(err);
    this.progress[1]++;
    // Refused connections and backend rejections were certainly not applied; anything else may have been.
    return kind === 'refused' || kind === 'conflict' ? Outcome.failed : Outcome.indeterminate;
  }

  #record(clientId: number, invokeUs: number, completeUs: number, value: number | undefined, outcome: Outcome): void {
    this.#calls.record(clientId, invokeUs, completeUs, value, outcome);
    if (this.#calls.length >= DELIVERY_MAX_CALLS) this.onFull();
  }

  private recordLag(dueUs: number, invokeUs: number): void {
    this.pacerLagUs.recordValue(Math.max(0, Math.round(invokeUs - dueUs)));
  }
}

/**
 * The invoke time of each JS client's call in flight, for a group's watermark: every call invoked
 * before it has ended. An engine keeps its own.
 */
export class CallsInFlight {
  readonly #invokeUs: Float64Array;

  constructor(
    private readonly firstClientId: number,
    clientCount: number,
  ) {
    this.#invokeUs = new Float64Array(clientCount).fill(Infinity);
  }

  start(clientId: number, invokeUs: number): void {
    this.#invokeUs[clientId - this.firstClientId] = invokeUs;
  }

  end(clientId: number): void {
    this.#invokeUs[clientId - this.firstClientId] = Infinity;
  }

  /** The oldest invoke of a call in flight, else now: a call starting later is invoked after it. */
  watermarkUs(): number {
    let oldestUs = monotonicUs();
    for (const us of this.#invokeUs) oldestUs = Math.min(oldestUs, us);
    return oldestUs;
  }
}

async function runClient(
  counter: Counter,
  clientId: number,
  plan: CallPlan,
  recorder: LoadRecorder,
  inFlight: CallsInFlight,
): Promise<void> {
  const limit = plan.callsPerClient ?? Infinity;
  const deadlineUs = plan.deadlineUs ?? Infinity;
  for (let call = 0; call < limit; call++) {
    if (monotonicUs() > deadlineUs) break;
    let dueUs: number | undefined;
    if (plan.intervalUs !== undefined) {
      dueUs = plan.startUs + call * plan.intervalUs;
      const waitMs = (dueUs - monotonicUs()) / 1000;
      if (waitMs > 1) await sleep(waitMs);
    }
    const invokeUs = monotonicUs();
    inFlight.start(clientId, invokeUs);
    try {
      const value = await counter.increment();
      inFlight.end(clientId);
      recorder.recordOk(clientId, dueUs, invokeUs, monotonicUs(), value);
    } catch (err) {
      inFlight.end(clientId);
      recorder.recordFailure(clientId, dueUs, invokeUs, monotonicUs(), err);
      // A server that is down refuses at once: pause (see REFUSED_PAUSE_MS).
      if (err instanceof CounterError && err.kind === 'refused') await sleep(REFUSED_PAUSE_MS);
    }
  }
}

/** Runs every client's calls concurrently; client ids start at `firstClientId`. */
export async function runClients(
  counters: Counter[],
  firstClientId: number,
  plan: CallPlan,
  recorder: LoadRecorder,
  inFlight = new CallsInFlight(firstClientId, counters.length),
): Promise<void> {
  await Promise.all(counters.map((counter, i) => runClient(counter, firstClientId + i, plan, recorder, inFlight)));
}
