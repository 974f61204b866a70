/**
 * The report's recorder as a streaming run feeds it: batches of calls, witnesses marked as a
 * checker names them. It draws the page a whole history draws, and a run of any length fits
 * its fixed budget of time buckets.
 */
import test from 'ava';
import { History, Outcome } from '../tester/check/history.js';
import { ReportRecorder } from '../tester/report/report-recorder.js';
import { runReport } from '../tester/report/run-report.js';
import { maxBuckets } from '../tester/report/time-series.js';
import { streamedRecorder } from './helpers/streamed-report.js';
import { syntheticRun } from './helpers/synthetic-run.js';

test('calls streamed in batches, witnesses marked when named: the page a whole history draws', (t) => {
  const history = new History();
  let value = 0;
  for (let i = 0; i < 200_000; i++) {
    const startUs = 1_000_000 + i * 25;
    const outcome = i % 97 === 0 ? Outcome.failed : i % 89 === 0 ? Outcome.indeterminate : Outcome.ok;
    // Every 10,000th call repeats the last value (a duplicate); the final count lacks the last 3 (beyond it).
    const returned = outcome !== Outcome.ok ? undefined : i % 10_000 === 5_000 ? value : ++value;
    history.record(i % 24, startUs, startUs + 150 + (i % 13) * 40, returned, outcome);
  }
  const { result, history: run } = syntheticRun(history, value - 3);
  t.false(result.check.valid);
  const streamed = streamedRecorder(run.ops, run.originUs, result.check, 4096).report(result, run);
  const whole = runReport(result, run);
  t.deepEqual(streamed, whole);
  t.deepEqual(
    whole.anomalies.map((section) => [section.kind, section.witnesses.length]),
    [
      ['count', 1],
      ['duplicate', 5],
      ['range', 3],
    ],
  );
  for (const section of whole.anomalies) for (const { timeline } of section.witnesses) t.true(timeline.ops.length > 10);
});

test('a run longer than the bucket budget: buckets double, every call still counted', (t) => {
  const originUs = 5_000_000;
  const recorder = new ReportRecorder(originUs);
  const history = new History();
  // One call every 2 ms for an hour: 100 ms buckets would be 36,000, so they widen to 1.6 s.
  const callCount = 1_800_000;
  for (let i = 0; i < callCount; i++) {
    const startUs = originUs + i * 2000;
    history.record(i % 8, startUs, startUs + 300 + (i % 5) * 100, i + 1, i % 100 === 0 ? Outcome.failed : Outcome.ok);
  }
  const ops = history.data();
  recorder.add({ ...ops, firstRow: 0 });
  const { result, history: run } = syntheticRun(history, callCount);
  const { series } = recorder.report(result, run);
  t.is(series.bucketMs, 1600);
  t.is(series.startMs.length, Math.floor(3_600_000 / 1600));
  t.true(series.startMs.length <= maxBuckets);
  const counted = (perSecond: number[]) => perSecond.reduce((sum, n) => sum + (n * series.bucketMs) / 1000, 0);
  t.is(Math.round(counted(series.okPerSecond)), callCount - callCount / 100);
  t.is(Math.round(counted(series.failedPerSecond)), callCount / 100);
  t.deepEqual(new Set(series.maxMs), new Set([0.7]));
});
