import { setTimeout as sleep } from 'node:timers/promises';
import type { CounterFactory } from '../../counters/counter.js';
import { checkHistory, type HistoryCheck } from '../../tester/check/check-history.js';
import { monotonicUs, Outcome } from '../../tester/check/history.js';
import { verdictLine } from '../../tester/judge/verdict.js';
import { LoadRecorder, runClients } from '../../tester/load/client-loop.js';

export interface DriveOptions {
  clientCount: number;
  durationMs: number;
  /** Called once, `faultAtMs` after the measured calls start. */
  faultAtMs?: number;
  fault?: () => void | Promise<void>;
}

export interface DrivenRun {
  name: string;
  check: HistoryCheck;
  verdict: string;
  errors: Record<string, number>;
  errorExamples: Record<string, string>;
  initialCount: number;
  finalCount: number | undefined;
  retryCount: number;
  /** Acknowledged increments invoked after `us` (monotonicUs clock): did the service go on after a fault? */
  okInvokedAfter(us: number): number;
  /** Milliseconds from `us` to the first acknowledgement completed after it (undefined: none). */
  firstOkAfterMs(us: number): number | undefined;
  /** The longest any acknowledged call took, in ms. */
  maxLatencyMs: number;
}

/**
 * runLoad's flow for a factory built here (so several runs can use their own object names at
 * once): open the clients, reset, read the initial count, let every client call until the
 * deadline while `fault` strikes, read the final count (patiently), and judge the history.
 */
export async function driveFactory(factory: CounterFactory, options: DriveOptions): Promise<DrivenRun> {
  const counters = [];
  try {
    for (let i = 0; i < options.clientCount; i++) counters.push(await factory.open());
    await counters[0].reset();
    const initialCount = await counters[0].read();
    const recorder = new LoadRecorder();
    const startUs = monotonicUs();
    let faultDone: Promise<void> = Promise.resolve();
    const timer =
      options.fault !== undefined
        ? setTimeout(() => {
            faultDone = Promise.resolve().then(options.fault);
          }, options.faultAtMs ?? 0)
        : undefined;
    await runClients(counters, 0, { startUs, deadlineUs: startUs + options.durationMs * 1000 }, recorder);
    clearTimeout(timer);
    await faultDone;
    let finalCount: number | undefined;
    for (let attempt = 0; attempt < 20 && finalCount === undefined; attempt++) {
      finalCount = await counters[0].read().catch(async () => {
        await sleep(500);
        return undefined;
      });
    }
    const data = recorder.take();
    const okInvokedAfter = (us: number) => {
      let n = 0;
      for (let i = 0; i < data.length; i++) if (data.invokeUs[i] > us && data.outcomes[i] === Outcome.ok) n++;
      return n;
    };
    const firstOkAfterMs = (us: number) => {
      let first = Infinity;
      for (let i = 0; i < data.length; i++)
        if (data.completeUs[i] > us && data.outcomes[i] === Outcome.ok) first = Math.min(first, data.completeUs[i]);
      return Number.isFinite(first) ? (first - us) / 1000 : undefined;
    };
    let maxLatencyMs = 0;
    for (let i = 0; i < data.length; i++)
      if (data.outcomes[i] === Outcome.ok)
        maxLatencyMs = Math.max(maxLatencyMs, (data.completeUs[i] - data.invokeUs[i]) / 1000);
    const check = checkHistory(data, {
      initial: initialCount,
      final: finalCount,
      valuesExpected: factory.linearizable,
    });
    return {
      name: factory.name,
      check,
      verdict: verdictLine(check, !factory.promisesExact || !factory.linearizable),
      errors: recorder.errorCounts as Record<string, number>,
      errorExamples: recorder.errorExamples as Record<string, string>,
      initialCount,
      finalCount,
      retryCount: counters.reduce((sum, counter) => sum + counter.retryCount, 0),
      okInvokedAfter,
      firstOkAfterMs,
      maxLatencyMs,
    };
  } finally {
    await Promise.allSettled(counters.map((counter) => counter.close()));
    await factory.close();
  }
}
