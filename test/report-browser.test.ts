/**
 * The HTML reports in a real browser (Debian's chromium through playwright-core): reports of a
 * passing run, a lost-update run and a run with indeterminate calls, made by the tester against
 * deliberately faulty servers; a compare report of those runs; and a run with a fault window.
 * Each must draw every chart, show its verdict and witnesses, log no error and request nothing.
 * Screenshots land in results/report-browser/ (ignored by git) for a person to look at.
 */
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { type Comparison, comparisonRows } from '../tester/compare/comparison-rows.js';
import type { LoadResult } from '../tester/load/load-result.js';
import { compareReport } from '../tester/report/compare-report.js';
import { reportHtml } from '../tester/report/report-html.js';
import { runReport } from '../tester/report/run-report.js';
import { launchChromium, renderReport, type RenderedReport } from './helpers/report-browser.js';
import { describeRun, type FaultyMode, runTester, startFaultyServer } from './helpers/run-tester.js';
import { onFreePort, ROOT } from './helpers/server-process.js';
import { syntheticRun, type SyntheticOp } from './helpers/synthetic-run.js';

const OUT = path.join(ROOT, 'results', 'report-browser');
const CLIENTS = 4;
const CALLS = 500;
const EVERY = 50;

let browser: Browser;
test.before(async () => {
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(OUT, { recursive: true });
  browser = await launchChromium();
});
test.after.always(async () => browser?.close());

/** The tester against a faulty server in `mode`, writing its report and JSON result. */
async function reportOfRun(mode: FaultyMode, expectedExit: number): Promise<{ file: string; result: LoadResult }> {
  const server = await onFreePort((port) => startFaultyServer(mode, port, EVERY));
  try {
    const file = path.join(OUT, `${mode}.html`);
    const output = path.join(OUT, `${mode}.json`);
    const target = ['--counter-host', '127.0.0.1', '--counter-port', String(server.port)];
    const run = await runTester([
      'web',
      ...target,
      '--n-clients',
      String(CLIENTS),
      '--n-calls-per-client',
      String(CALLS),
      '--report',
      file,
      '--output',
      output,
    ]);
    if (run.code !== expectedExit) throw new Error(`expected exit ${expectedExit}: ${describeRun(run)}`);
    return { file, result: JSON.parse(fs.readFileSync(output, 'utf8')) as LoadResult };
  } finally {
    await server.stop();
  }
}

const runs = {
  ok: reportOfRun('ok', 0),
  lose: reportOfRun('lose', 1),
  reset: reportOfRun('reset', 0),
};

async function render(file: string): Promise<RenderedReport> {
  return renderReport(browser, file, file.replace(/\.html$/, '.png'));
}

/** Every chart has its ECharts instance and a canvas with something drawn on it. */
function assertDrawn(t: import('ava').ExecutionContext, page: RenderedReport, chartNames: RegExp[]): void {
  t.deepEqual(page.problems, []);
  for (const name of chartNames)
    t.true(
      page.charts.some((chart) => name.test(chart.name)),
      `a chart named ${name}`,
    );
  for (const chart of page.charts) {
    t.true(chart.hasInstance, `${chart.name} has an ECharts instance`);
    t.true(chart.inkedPixelCount > 2000, `${chart.name} drew ${chart.inkedPixelCount} pixels`);
  }
}

test('a passing run: charts drawn, PASS with its verdict, no anomaly', async (t) => {
  const { file, result } = await runs.ok;
  const page = await render(file);
  assertDrawn(t, page, [/^over-time$/, /^histogram$/]);
  t.regex(page.text, /web, 4 clients\s+PASS/);
  t.true(page.text.includes(result.verdict), result.verdict);
  t.regex(page.text, /None: every check held/);
  t.false(page.charts.some((chart) => chart.name.startsWith('witness')));
});

test('a lost-update run: FAIL, and the lost count, duplicates and their witnesses drawn', async (t) => {
  const { file, result } = await runs.lose;
  t.is(result.check.checks.count.valid, false);
  const page = await render(file);
  assertDrawn(t, page, [/^over-time$/, /^histogram$/, /^witness-count-0$/, /^witness-duplicate-0$/]);
  t.regex(page.text, /web, 4 clients\s+FAIL/);
  t.true(page.text.includes(result.verdict), result.verdict);
  t.regex(page.text, new RegExp(`Lost increments: ${CLIENTS * CALLS - (result.finalCount ?? 0)}`));
  t.regex(page.text, /final read \d+ outside \[\d+, \d+\]/);
  t.regex(page.text, /Duplicate values: \d+/);
  t.regex(page.text, /value \d+ returned 2 times: client \d \[[\d.]+ ms–[\d.]+ ms\], client \d/);
});

test('a run with indeterminate calls: their count shown, drawn in the histogram, verdict within bounds', async (t) => {
  const { file, result } = await runs.reset;
  const indeterminate = result.check.indeterminateCount;
  t.is(indeterminate, (CLIENTS * CALLS) / EVERY);
  const page = await render(file);
  assertDrawn(t, page, [/^over-time$/, /^histogram$/]);
  t.regex(page.text, new RegExp(`indeterminate\\s+${indeterminate}\\b`));
  t.regex(page.text, new RegExp(`within \\[\\d+, \\d+\\] \\(${indeterminate} indeterminate\\)`));
});

test('a compare report of those runs: the chart, and each row with its verdict and anomaly counts', async (t) => {
  const results = { ok: (await runs.ok).result, lose: (await runs.lose).result, reset: (await runs.reset).result };
  const cells = Object.entries(results).map(([mode, result]) => ({
    suite: 'web' as const,
    scenario: `faulty-${mode}`,
    clients: CLIENTS,
    results: [result],
    error: null,
  }));
  const baseline = 'web faulty-ok';
  const rows = comparisonRows(cells, baseline, 0.05);
  const comparison: Comparison = { seed: 1, rounds: 1, warmupMs: 0, callsPerClient: CALLS, alpha: 0.05, baseline, rows };
  const file = path.join(OUT, 'compare.html');
  fs.writeFileSync(file, reportHtml({ kind: 'compare', report: compareReport(comparison) }));
  const page = await render(file);
  assertDrawn(t, page, [/^comparison$/]);
  t.regex(page.text, /3 scenarios: 2 passed, 1 did not/);
  const lostCount = CLIENTS * CALLS - (results.lose.finalCount ?? 0);
  // One round each: no interval, said so; no difference can be significant, so one rank for all.
  const median = String.raw`\d+ \(no 95% CI: 1 round, need 6\)\s+[\d.]+`;
  t.regex(
    page.text,
    new RegExp(String.raw`web faulty-lose\s+4\s+${median}\s+~ \(p=1\.00\)\s+1\s+.*?${lostCount}\s+[\d,]+\s+\d+\s+FAIL`),
  );
  t.regex(page.text, new RegExp(String.raw`web faulty-ok\s+4\s+${median}\s+baseline\s+1\s+.*?0\s+0\s+0\s+PASS`));
});

test('tester check --report: a saved lost-update history drawn with its final read and duplicates', async (t) => {
  const file = path.join(OUT, 'check-lost-update.html');
  const run = await runTester(['check', path.join(ROOT, 'test/histories/lost-update.jsonl'), '--report', file]);
  t.is(run.code, 1, describeRun(run));
  const page = await render(file);
  assertDrawn(t, page, [/^over-time$/, /^histogram$/, /^witness-count-0$/, /^witness-duplicate-3$/]);
  t.regex(page.text, /LOST 4 of 30 acknowledged increments; 4 duplicate values/);
  t.regex(page.text, /final read 26 outside \[30, 30\]/);
  // A 40 ms run is one 100 ms bucket: its lone points must still be drawn.
  const overTime = page.charts.find((chart) => chart.name === 'over-time');
  t.true((overTime?.plotInkCount ?? 0) > 20, `over-time plot drew ${overTime?.plotInkCount} coloured pixels`);
  t.regex(page.text, /value 7 returned 2 times: client 2 \[29\.313 ms–30\.239 ms\], client 0 \[29\.626 ms–30\.755/);
});

test('a run with a fault window: the window is named and shaded', async (t) => {
  const ops: SyntheticOp[] = Array.from({ length: 4000 }, (_, i): SyntheticOp => [
    i % 4,
    i * 250,
    i * 250 + 200,
    i + 1,
  ]);
  const events = [
    { time: 300e6, f: 'start-kill-worker', value: 'SIGKILL worker pid 4242' },
    { time: 600e6, f: 'stop-kill-worker', value: 'worker restarted' },
  ];
  const { result, history } = syntheticRun(ops, 4000, events);
  const file = path.join(OUT, 'fault-window.html');
  fs.writeFileSync(file, reportHtml({ kind: 'run', report: runReport(result, history) }));
  const page = await render(file);
  assertDrawn(t, page, [/^over-time$/]);
  // One window, shaded in both the throughput and the latency panel.
  t.is(page.charts.find((chart) => chart.name === 'over-time')?.shadedAreaCount, 2);
  t.regex(page.text, /Shaded: kill-worker from 0\.30 s to 0\.60 s \(SIGKILL worker pid 4242\)/);
});
