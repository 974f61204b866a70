/** What the HTML report of one run shows, computed from its result and its whole history. */
import { isCrashed } from '../check/check-result.js';
import type { RunHistory } from '../history/run-history.js';
import type { LoadResult } from '../load/run-load.js';
import { anomalySections } from './anomaly-sections.js';
import { faultWindows } from './fault-windows.js';
import { latencyHistogram } from './latency-histogram.js';
import type { ReportFact, RunReport } from './report-shapes.js';
import { timeSeries } from './time-series.js';

export function runReport(result: LoadResult, history: RunHistory): RunReport {
  const series = timeSeries(history.ops, history.originUs);
  const lastCall = history.controlOps.at(-1);
  const endMs = lastCall ? (lastCall.completeUs - history.originUs) / 1000 : series.startMs.length * series.bucketMs;
  return {
    title: `${result.counter}, ${result.clientCount} client${result.clientCount === 1 ? '' : 's'}`,
    valid: result.check.valid,
    passed: result.passed,
    verdict: result.verdict,
    facts: runFacts(result),
    series,
    histogram: latencyHistogram(history.ops),
    faults: faultWindows(history.nemesisEvents, endMs),
    anomalies: anomalySections(result.check, history),
  };
}

const whole = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });
const ms = (us: number) => `${(us / 1000).toLocaleString('en-US', { maximumFractionDigits: 2 })} ms`;

function runFacts(result: LoadResult): ReportFact[] {
  const { check, latency } = result;
  const { count, unique, realTimeOrder, range } = check.checks;
  const facts: ReportFact[] = [
    { label: 'calls', value: whole(check.opCount) },
    { label: 'acknowledged', value: whole(check.okCount) },
    { label: 'failed', value: whole(check.failedCount), bad: check.failedCount > 0 },
    { label: 'indeterminate', value: whole(check.indeterminateCount), bad: check.indeterminateCount > 0 },
    { label: 'throughput', value: `${whole(result.rps)} req/s` },
    { label: 'p50 / p99 latency', value: `${ms(latency.p50Us)} / ${ms(latency.p99Us)}` },
    {
      label: 'count before → after',
      value: `${whole(result.initialCount)} → ${result.finalCount === null ? '?' : whole(result.finalCount)}`,
    },
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
