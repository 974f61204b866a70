/**
 * The report of a one-hour run stays a page a browser opens: two million calls streamed
 * through the recorder give a page under 5 MB (coarser time buckets, a bounded number of
 * witnesses, the count of the rest said), and Debian's chromium draws every chart of it.
 */
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { History, Outcome } from '../tester/check/history.js';
import { reportHtml } from '../tester/report/report-html.js';
import { launchChromium, renderReport } from './helpers/report-browser.js';
import { ROOT } from './helpers/server-process.js';
import { streamedRecorder } from './helpers/streamed-report.js';
import { syntheticRun } from './helpers/synthetic-run.js';

const OUT = path.join(ROOT, 'results', 'report-long-run');
const HOUR_US = 3600e6;
const CALLS = 2_000_000;
const CLIENTS = 32;
const DUPLICATES = 40;

/** An hour of calls from 32 clients: 1% failed, 0.5% indeterminate, 40 duplicates, a final count 5 short. */
function oneHourRun() {
  const history = new History(CALLS);
  let value = 0;
  for (let i = 0; i < CALLS; i++) {
    const startUs = (i * HOUR_US) / CALLS;
    const outcome = i % 100 === 7 ? Outcome.failed : i % 200 === 3 ? Outcome.indeterminate : Outcome.ok;
    const duplicate = i % (CALLS / DUPLICATES) === 1000;
    const returned = outcome !== Outcome.ok ? undefined : duplicate ? value : ++value;
    // Latency grows and shrinks over the hour, with a tail on every 1000th call.
    const latencyUs = 300 + 200 * Math.sin(i / 50_000) ** 2 + (i % 1000 === 0 ? 40_000 : (i % 17) * 20);
    history.record(i % CLIENTS, 1_000_000 + startUs, 1_000_000 + startUs + latencyUs, returned, outcome);
  }
  return syntheticRun(history, value - 5);
}

test('a one-hour run of 2M calls: its report is under 5 MB and chromium draws it', async (t) => {
  const { result, history } = oneHourRun();
  const recorder = streamedRecorder(history.ops, history.originUs, result.check, 8192);
  const report = recorder.report(result, history);
  const html = reportHtml({ kind: 'run', report });
  fs.mkdirSync(OUT, { recursive: true });
  const file = path.join(OUT, 'one-hour.html');
  fs.writeFileSync(file, html);
  const sizeMb = Buffer.byteLength(html) / 1e6;
  const { startMs, bucketMs } = report.series;
  t.log(`one-hour report: ${sizeMb.toFixed(2)} MB, ${startMs.length} buckets of ${bucketMs} ms`);
  t.true(sizeMb < 5, `${sizeMb} MB`);
  t.is(report.series.bucketMs, 1600);

  const browser = await launchChromium();
  try {
    const started = performance.now();
    const page = await renderReport(browser, file, file.replace(/\.html$/, '.png'));
    t.log(`opened, drawn and captured in ${Math.round(performance.now() - started)} ms`);
    t.deepEqual(page.problems, []);
    for (const chart of page.charts) t.true(chart.inkedPixelCount > 2000, `${chart.name} drew`);
    // Each duplicate also broke real-time order (the call before it had completed), and the
    // last five values lie beyond the final count: five timelines per kind, the rest counted.
    const five = (kind: string) => [0, 1, 2, 3, 4].map((i) => `witness-${kind}-${i}`);
    t.deepEqual(
      page.charts.map((chart) => chart.name),
      ['over-time', 'histogram', 'witness-count-0', ...five('duplicate'), ...five('real-time-order'), ...five('range')],
    );
    const more = `\\(the first 5 shown, ${DUPLICATES - 5} more\\)`;
    t.regex(page.text, new RegExp(`Duplicate values: ${DUPLICATES} ${more}`));
    t.regex(page.text, new RegExp(`Out of real-time order: ${DUPLICATES} ${more}`));
    t.regex(page.text, new RegExp(`Lost increments: ${DUPLICATES + 5}\\b`));
    t.regex(page.text, /Each point covers 1,600 ms/);
  } finally {
    await browser.close();
  }
});
