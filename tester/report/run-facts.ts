/** The figures at the top of a run's report: its counts, speed, and each checker's anomalies. */
import { isCrashed } from '../check/check-result.js';
import type { JudgedRun } from '../judge/judge-run.js';
import type { ReportFact } from './report-shapes.js';

export type RunJudgement = Pick<JudgedRun, 'check' | 'verdict' | 'passed'>;

/** Acknowledged calls per second over the span of the calls, and latency percentiles of them all. */
export interface RunSpeed {
  rps: number;
  p50Us: number;
  p99Us: number;
}

const whole = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });
const ms = (us: number) => `${(us / 1000).toLocaleString('en-US', { maximumFractionDigits: 2 })} ms`;

export function runFacts(
  { check }: RunJudgement,
  { initial, final }: { initial: number; final: number | undefined },
  { rps, p50Us, p99Us }: RunSpeed,
): ReportFact[] {
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
