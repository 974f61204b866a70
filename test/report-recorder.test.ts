/**
 * The report's recorder as a streaming run feeds it: batches of calls, witnesses marked as a
 * checker names them. It draws the page a whole history draws, and a run of any length fits
 * its fixed budget of time buckets.
 */
import test from 'ava';
import { History, Outcome } from '../tester/check/history.js';
import { ReportRecorder } from '../tester/report/report-recorder.js';
import { runReport } from '../tester/report/run-report.js';
import { maxMarks } from '../tester/report/witness-calls.js';
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

test('a witness named after the ring forgot its calls is still drawn, as the checker saw it', (t) => {
  const history = new History();
  // Rows 10 and 11 return the same value; 100,000 calls later the ring holds none of that time.
  for (let i = 0; i < 100_000; i++) {
    const startUs = 1_000_000 + i * 100;
    history.record(i % 4, startUs, startUs + 80, i === 11 ? 11 : i + 1, Outcome.ok);
  }
  const { result, history: run } = syntheticRun(history, 99_999);
  const recorder = new ReportRecorder(run.originUs);
  recorder.add({ ...run.ops, firstRow: 0 });
  const [duplicate] = recorder.report(result, run).anomalies.filter((section) => section.kind === 'duplicate');
  const { timeline } = duplicate.witnesses[0];
  t.deepEqual(
    timeline.ops.map((op) => [timeline.lanes[op.lane], op.value, op.witness]),
    [
      ['client 2', 11, true],
      ['client 3', 11, true],
    ],
  );
});

test('marks are bounded: past maxMarks windows, mark says no and keeps nothing more', (t) => {
  const recorder = new ReportRecorder(0);
  const marked = Array.from({ length: maxMarks + 5 }, (_, i) =>
    recorder.mark([{ invokeUs: i * 1000, completeUs: i * 1000 + 10 }]),
  );
  t.deepEqual(marked, [...Array<boolean>(maxMarks).fill(true), ...Array<boolean>(5).fill(false)]);
  t.true(recorder.mark([{ invokeUs: 0, completeUs: 10 }]), 'a window already marked is kept');
});
