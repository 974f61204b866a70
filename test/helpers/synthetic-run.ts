/**
 * A run made up in memory, as runLoad would return it: a LoadResult judged by the real
 * checkers and its RunHistory, for report tests that need no counter.
 */
import { checkHistory } from '../../tester/check/check-history.js';
import { History, Outcome } from '../../tester/check/history.js';
import { verdictLine } from '../../tester/judge/verdict.js';
import type { NemesisEvent } from '../../tester/history/nemesis-event.js';
import type { RunHistory } from '../../tester/history/run-history.js';
import type { LoadResult } from '../../tester/load/load-result.js';
import type { RunResources } from '../../tester/load/run-resources.js';

/** [clientId, invokeUs, completeUs, value (undefined: none), outcome] with times since the run's start. */
export type SyntheticOp = [number, number, number, number | undefined, Outcome?];

export interface SyntheticRun {
  result: LoadResult;
  history: RunHistory;
}

const originUs = 1_000_000;

/** A run whose loader and host had time to spare: no caution. */
export const QUIET_RESOURCES: RunResources = {
  threads: [
    { name: 'JS thread', cpuS: 0.05, waitS: 0.01, busyShare: 0.05 },
    { name: 'loop thread', cpuS: 0.4, waitS: 0.1, busyShare: 0.4 },
  ],
  host: { cpus: 2, busyShare: 0.6, idleShare: 0.4, stealShare: 0 },
  loadAverage: [1.5, 1.2, 1],
  limitedBy: [],
};

export function syntheticRun(
  ops: History | SyntheticOp[],
  final: number,
  nemesisEvents: NemesisEvent[] = [],
): SyntheticRun {
  const recorded = ops instanceof History ? ops : new History(ops.length);
  if (!(ops instanceof History)) {
    for (const [client, invokeUs, completeUs, value, outcome = Outcome.ok] of ops) {
      recorded.record(client, originUs + invokeUs, originUs + completeUs, value, outcome);
    }
  }
  const data = recorded.data();
  let endUs = originUs;
  for (let i = 0; i < data.length; i++) endUs = Math.max(endUs, data.completeUs[i]);
  const check = checkHistory(data, { initial: 0, final });
  const clientCount = new Set(data.clientIds).size;
  const totalTimeS = (endUs - originUs) / 1e6;
  const result: LoadResult = {
    counter: 'synthetic',
    clientCount,
    callsPerClient: null,
    durationMs: null,
    ratePerSecond: null,
    totalCalls: check.okCount,
    attemptedCount: check.opCount,
    totalTimeS,
    rps: check.okCount / totalTimeS,
    initialCount: 0,
    finalCount: final,
    latency: { p50Us: 100, p90Us: 200, p99Us: 300, p999Us: 400, maxUs: 500, meanUs: 120 },
    errors: {},
    errorExamples: {},
    retryCount: 0,
    promisesExact: true,
    check,
    verdict: verdictLine(check),
    witnesses: [],
    nemesisEvents,
    passed: check.valid === true,
    resources: QUIET_RESOURCES,
    peakRssMb: 1,
  };
  const history: RunHistory = {
    meta: { counter: 'synthetic', clientCount, promisesExact: true, linearizable: true, unreadableCount: 0 },
    originUs,
    controlOps: [
      { f: 'reset', invokeUs: originUs - 200, completeUs: originUs - 150, type: 'ok', value: null },
      { f: 'read', invokeUs: originUs - 100, completeUs: originUs - 50, type: 'ok', value: 0 },
      { f: 'read', invokeUs: endUs + 50, completeUs: endUs + 100, type: 'ok', value: final },
    ],
    ops: data,
    nemesisEvents,
  };
  return { result, history };
}
