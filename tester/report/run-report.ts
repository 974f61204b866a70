/**
 * What the HTML report of one run shows: its judgement (a run's result, or `tester check`'s of
 * a saved history) and what its history alone tells, so both draw the same page.
 */
import { isCrashed } from '../check/check-result.js';
import type { HistoryData } from '../check/history.js';
import { countsRead, type JudgedRun } from '../judge/judge-run.js';
import type { RunHistory } from '../history/run-history.js';
import { anomalySections } from './anomaly-sections.js';
import { faultWindows } from './fault-windows.js';
import { latencyHistogram } from './latency-histogram.js';
import { nearestRank } from './percentile.js';
import type { ReportFact, RunReport } from './report-shapes.js';
import { timeSeries } from './time-series.js';

export type RunJudgement = Pick<JudgedRun, 'check' | 'verdict' | 'passed'>;

export function runReport(judged: RunJudgement, history: RunHistory): RunReport {
  const { meta } = history;
  const series = timeSeries(history.ops, history.originUs);
  const lastCall = history.controlOps.at(-1);
  const endMs = lastCall ? (lastCall.completeUs - history.originUs) / 1000 : series.startMs.length * series.bucketMs;
  return {
    title: `${meta.counter}, ${meta.clientCount} client${meta.clientCount === 1 ? '' : 's'}`,
    valid: judged.check.valid,
    passed: judged.passed,
    verdict: judged.verdict,
    facts: runFacts(judged, history),
    series,
    histogram: latencyHistogram(history.ops),
    faults: faultWindows(history.nemesisEvents, endMs),
    anomalies: anomalySections(judged.check, history),
  };
}

const whole = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });
const ms = (us: number) => `${(us / 1000).toLocaleString('en-US', { maximumFractionDigits: 2 })} ms`;

function runFacts({ check }: RunJudgement, history: RunHistory): ReportFact[] {
  const { initial, final } = countsRead(history);
  const { rps, p50Us, p99Us } = speed(history.ops, check.okCount);
  const { count, unique, realTimeOrder, range } = check.checks;
  const facts: ReportFact[] = [
    { label: 'calls', value: whole(check.opCount) },
    { label: 'acknowledged', value: whole(check.okCount) },
    { label: 'failed', value: whole(check.failedCount), bad: check.failedCount > 0 },
    { label: 'indeterminate', value: whole(check.indeterminateCount), bad: check.indeterminateCount > 0 },
    { label: 'throughput', value: `${whole(rps)} req/s` },
    { label: 'p50 / p99 latency', value: `${ms(p50Us)} / ${ms(p99Us)}` },
    { label: 'count before → after', value: `${whole(initial)} → ${final === undefined ? '?' : whole(final)}` },
  ];
  if (!isCrashed(count)) facts.push({ label: 'lost', value: whole(count.lostCount), bad: count.lostCount > 0 });
  if (!isCrashed(unique))
    facts.push({ label: 'duplicate values', value: whole(unique.duplicateCount), bad: unique.duplicateCount > 0 });
  if (!isCrashed(realTimeOrder)) {
    facts.push({
      label: 'out of real-time order',
      value: whole(realTimeOrder.staleCount),
      bad: realTimeOrder.staleCount > 0,
    });
  }
  if (!isCrashed(range))
    facts.push({ label: 'impossible values', value: whole(range.outOfRangeCount), bad: range.outOfRangeCount > 0 });
  return facts;
}

/** Acknowledged calls per second over the span of the calls, and latency percentiles of them all. */
function speed(ops: HistoryData, okCount: number): { rps: number; p50Us: number; p99Us: number } {
  let fromUs = Infinity;
  let toUs = -Infinity;
  const latencies = new Float64Array(ops.length);
  for (let i = 0; i < ops.length; i++) {
    fromUs = Math.min(fromUs, ops.invokeUs[i]);
    toUs = Math.max(toUs, ops.completeUs[i]);
    latencies[i] = ops.completeUs[i] - ops.invokeUs[i];
  }
  latencies.sort();
  const spanS = (toUs - fromUs) / 1e6;
  const p50Us = nearestRank(latencies, 0.5) ?? 0;
  const p99Us = nearestRank(latencies, 0.99) ?? 0;
  return { rps: spanS > 0 ? okCount / spanS : 0, p50Us, p99Us };
}
