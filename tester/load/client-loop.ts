import * as hdr from 'hdr-histogram-js';
import type { Counter, ErrorKind } from '../../counters/counter.js';
import { CounterError } from '../../counters/counter.js';
import { History, monotonicUs, Outcome } from '../check/history.js';
import { setTimeout as sleep } from 'node:timers/promises';

/** How long each client keeps calling: a number of calls, or until a deadline. */
export interface CallPlan {
  callsPerClient?: number;
  /** Monotonic microseconds after which no new call starts. */
  deadlineUs?: number;
  /** Open loop: each client's calls are due every `intervalUs`, from `startUs`. */
  intervalUs?: number;
  startUs: number;
}

/**
 * What the hot loop touches: plain counters, one histogram, one history. `progress` is a
 * shared Float64Array slot pair [done, errors] the main thread reads for the progress bar.
 */
export class LoadRecorder {
  readonly history = new History(1 << 16);
  readonly latencyUs = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });
  readonly errorCounts: Partial<Record<ErrorKind, number>> = {};
  /** First message seen per error kind, for the report. */
  readonly errorExamples: Partial<Record<ErrorKind, string>> = {};

  constructor(readonly progress: Float64Array<ArrayBufferLike> = new Float64Array(2)) {}

  recordError(err: unknown): Outcome {
    const kind: ErrorKind = err instanceof CounterError ? err.kind : 'backend';
    this.errorCounts[kind] = (this.errorCounts[kind] ?? 0) + 1;
    this.errorExamples[kind] ??= err instanceof Error ? err.message : String(err);
    this.progress[1]++;
    // Refused connections and backend rejections were certainly not applied; anything else may have been.
    return kind === 'refused' || kind === 'conflict' ? Outcome.failed : Outcome.indeterminate;
  }
}

const REFUSED_PAUSE_MS = 20;

async function runClient(counter: Counter, clientId: number, plan: CallPlan, recorder: LoadRecorder): Promise<void> {
  const { history, latencyUs, progress } = recorder;
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
    try {
      const value = await counter.increment();
      const completeUs = monotonicUs();
      history.record(clientId, invokeUs, completeUs, value, Outcome.ok);
      // Open loop measures from when the call was due, so a stalled server is not hidden
      // by the calls it delayed (coordinated omission, as wrk2 corrects it).
      latencyUs.recordValue(Math.max(1, Math.round(completeUs - Math.min(dueUs ?? invokeUs, invokeUs))));
      progress[0]++;
    } catch (err) {
      const outcome = recorder.recordError(err);
      history.record(clientId, invokeUs, monotonicUs(), undefined, outcome);
      // A server that is down refuses at once: pause, or a timed run would spin through
      // millions of refusals.
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
): Promise<void> {
  await Promise.all(counters.map((counter, i) => runClient(counter, firstClientId + i, plan, recorder)));
}
