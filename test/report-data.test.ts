/**
 * What an HTML report holds, computed without a browser: the time series, fault windows,
 * witnesses around each anomaly, and a 1M-call run's report staying near README's 1.2 MB.
 */
import test, { type ExecutionContext } from 'ava';
import { History, Outcome } from '../tester/check/history.js';
import { faultWindows } from '../tester/report/fault-windows.js';
import { reportHtml } from '../tester/report/report-html.js';
import { runReport } from '../tester/report/run-report.js';
import { timeSeries } from '../tester/report/time-series.js';
import { maxTimelineOps } from '../tester/report/witness-timeline.js';
import { syntheticRun, type SyntheticOp } from './helpers/synthetic-run.js';

test('time series: calls per second and latency percentiles in 100 ms buckets, by completion time', (t) => {
  const ops: SyntheticOp[] = [];
  // First 100 ms: 10 calls of 1..10 ms; second: nothing; third: 2 failed, 1 indeterminate.
  for (let i = 1; i <= 10; i++) ops.push([0, 0, i * 1000, i]);
  ops.push([1, 200_000, 201_000, undefined, Outcome.failed], [1, 202_000, 203_000, undefined, Outcome.failed]);
  ops.push([2, 200_000, 250_000, undefined, Outcome.indeterminate]);
  const { history } = syntheticRun(ops, 10);
  const series = timeSeries(history.ops, history.originUs);
  t.is(series.bucketMs, 100);
  t.deepEqual(series.startMs, [0, 100, 200]);
  t.deepEqual(series.okPerSecond, [100, 0, 0]);
  t.deepEqual(series.failedPerSecond, [0, 0, 20]);
  t.deepEqual(series.indeterminatePerSecond, [0, 0, 10]);
  // Percentiles from log-spaced bins: within the stated error of the exact ones; the maximum exact.
  t.true(series.percentileError <= 0.011);
  closeTo(t, series.p50Ms, [5, null, 1], series.percentileError);
  closeTo(t, series.p90Ms, [9, null, 50], series.percentileError);
  t.deepEqual(series.maxMs, [10, null, 50]);
});

function closeTo(
  t: ExecutionContext,
  actual: Array<number | null>,
  exact: Array<number | null>,
  error: number,
): void {
  t.deepEqual(
    actual.map((value) => value === null),
    exact.map((value) => value === null),
  );
  actual.forEach((value, i) => {
    const want = exact[i];
    if (value !== null && want !== null) t.true(Math.abs(value - want) <= want * error + 0.001, `${value} vs ${want}`);
  });
}

test('fault windows: each start with the next stop of its fault; one never stopped lasts to the end', (t) => {
  const windows = faultWindows(
    [
      { time: 500e6, f: 'stop-partition', value: 'healed' },
      { time: 200e6, f: 'start-partition', value: 'iptables DROP 5701' },
      { time: 700e6, f: 'start-kill-worker', value: 'SIGKILL worker pid 4242' },
    ],
    1000,
  );
  t.deepEqual(windows, [
    { fault: 'partition', startMs: 200, stopMs: 500, description: 'iptables DROP 5701' },
    { fault: 'kill-worker', startMs: 700, stopMs: 1000, description: 'SIGKILL worker pid 4242' },
  ]);
});

test('a LoadResult carrying nemesis events: the report shades their window', (t) => {
  const ops: SyntheticOp[] = Array.from({ length: 100 }, (_, i): SyntheticOp => [
    i % 2,
    i * 5000,
    i * 5000 + 900,
    i + 1,
  ]);
  const events = [
    { time: 100e6, f: 'start-partition', value: 'iptables DROP 5701' },
    { time: 300e6, f: 'stop-partition', value: 'healed' },
  ];
  const { result, history } = syntheticRun(ops, 100, events);
  t.deepEqual(runReport(result, history).faults, [
    { fault: 'partition', startMs: 100, stopMs: 300, description: 'iptables DROP 5701' },
  ]);
});

test('lost updates: duplicates, the final read and the impossible value are each drawn with their witnesses', (t) => {
  // Clients 0 and 1 both got 2 (one of them lost); client 2 got 9, which the final count 3 never reached,
  // so client 1's later 3 also broke real-time order.
  const { result, history } = syntheticRun(
    [
      [0, 0, 100, 1],
      [0, 200, 300, 2],
      [1, 210, 310, 2],
      [2, 400, 500, 9],
      [1, 600, 700, 3],
    ],
    3,
  );
  const report = runReport(result, history);
  t.false(report.passed);
  t.deepEqual(
    report.anomalies.map((section) => section.title),
    ['Lost increments: 2', 'Duplicate values: 1', 'Out of real-time order: 1', 'Impossible values: 1'],
  );
  const [lost, duplicate, , impossible] = report.anomalies;
  t.regex(lost.witnesses[0].caption, /^final read 3 outside \[5, 5\]/);
  const read = lost.witnesses[0].timeline.ops.find((op) => op.f === 'read');
  t.like(read, { value: 3, bounds: [5, 5], witness: true });
  t.is(lost.witnesses[0].timeline.lanes.at(-1), 'tester');

  t.regex(
    duplicate.witnesses[0].caption,
    /^value 2 returned 2 times: client 0 \[0\.200 ms–0\.300 ms\], client 1 \[0\.210 ms–0\.310 ms\]$/,
  );
  const drawn = duplicate.witnesses[0].timeline.ops;
  t.deepEqual(
    drawn.filter((op) => op.witness).map((op) => [duplicate.witnesses[0].timeline.lanes[op.lane], op.value]),
    [
      ['client 0', 2],
      ['client 1', 2],
    ],
  );
  t.true(
    drawn.some((op) => !op.witness),
    'neighbouring calls are drawn too',
  );

  t.like(
    impossible.witnesses[0].timeline.ops.find((op) => op.witness),
    { value: 9, bounds: [1, 3] },
  );
});

test('stale reads: the pair that broke real-time order is the witness', (t) => {
  const { result, history } = syntheticRun(
    [
      [0, 0, 100, 1],
      [1, 150, 250, 1],
      [0, 300, 400, 2],
    ],
    2,
  );
  const section = runReport(result, history).anomalies.find((s) => s.kind === 'real-time-order');
  t.is(section?.title, 'Out of real-time order: 1');
  t.is(
    section?.witnesses[0].caption,
    'client 1 [0.150 ms–0.250 ms] returned 1, after client 0 [0.000 ms–0.100 ms] had returned 1',
  );
});

/** "Built in seconds": measured 0.8 s on 2 cores, so a machine ten times slower still passes. */
const MAX_BUILD_MS = 10_000;

test('1M calls, 16 clients, 1000 duplicates: the report is near 1.2 MB and built in seconds', (t) => {
  const history = new History(1_000_000);
  for (let i = 0; i < 1_000_000; i++) {
    const client = i % 16;
    const startUs = 1_000_000 + i * 60; // 60 s of calls
    // Every 1000th call returns the previous value: a duplicate.
    history.record(client, startUs, startUs + 200 + (i % 7) * 50, i % 1000 === 999 ? i : i + 1, Outcome.ok);
  }
  const started = performance.now();
  const { result, history: run } = syntheticRun(history, 1_000_000 - 1000);
  const html = reportHtml({ kind: 'run', report: runReport(result, run) });
  const elapsedMs = performance.now() - started;
  const sizeMb = Buffer.byteLength(html) / 1e6;
  t.log(`report of 1M calls: ${sizeMb.toFixed(2)} MB in ${Math.round(elapsedMs)} ms (checking included)`);
  // README: capped windows keep a 1M-call report near 1.2 MB (measured 1.19).
  t.true(sizeMb >= 0.9 && sizeMb <= 1.5, `${sizeMb} MB, README says near 1.2 MB`);
  t.true(elapsedMs < MAX_BUILD_MS, `${Math.round(elapsedMs)} ms`);
  const report = runReport(result, run);
  t.is(report.series.startMs.length, 601);
  for (const section of report.anomalies) {
    for (const witness of section.witnesses) t.true(witness.timeline.ops.length <= maxTimelineOps + 1);
  }
});
