import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { judgeChange } from '../tester/compare/against.js';
import { type Comparison, comparisonRows } from '../tester/compare/comparison-rows.js';
import { type CellRun, runComparison } from '../tester/compare/run-comparison.js';
import { type ScenarioGroup, WEB_STORES } from '../tester/compare/scenarios.js';
import { shuffledRounds } from '../tester/stats/statistics.js';
import { startDelayServer } from './helpers/delay-server.js';
import { ownCounters, runTester } from './helpers/run-tester.js';
import { requireServices } from './helpers/required-service.js';

// The tests needing a service: one that does not answer fails, COUNTERS_SKIP_*=1 skips (required-service.ts).
const services = await requireServices(['postgresql', 'hazelcast']);

const WEB_TITLE = 'compare --suite web runs every store at every client count in seeded rounds and writes JSON, Markdown, SVG and HTML';
// WEB_STORES run a PostgreSQL and a Hazelcast server too.
services.need('postgresql', 'hazelcast').test(WEB_TITLE, async (t) => {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'compare-test-'));
  t.teardown(() => fs.rmSync(outDir, { recursive: true, force: true }));

  // compare finds free ports for its servers and binds them later: one taken meanwhile makes a server
  // refuse to start ("already in use"), and the run is made again.
  const args = ['compare', '--suite', 'web', '--clients', '1,2', '--calls', '300', '--rounds', '2', '--seed', '7'];
  let run: Awaited<ReturnType<typeof runTester>>;
  for (let attempt = 1; ; attempt++) {
    run = await runTester([...args, '--warmup', '100ms', '--out', outDir], {
      timeoutMs: 150_000,
      env: ownCounters('compare'),
    });
    if (attempt === 5 || !/already in use|EADDRINUSE/.test(run.stdout + run.stderr)) break;
  }
  t.is(run.code, 0, `stderr:\n${run.stderr}\nstdout:\n${run.stdout}`);

  const comparison = JSON.parse(fs.readFileSync(path.join(outDir, 'comparison.json'), 'utf8')) as Comparison;
  t.like(comparison, { seed: 7, rounds: 2, warmupMs: 100, callsPerClient: 300, alpha: 0.05, baseline: 'web shared_memory_flock' });
  const { rows } = comparison;
  const cells = WEB_STORES.flatMap((store) => [`web ${store} 1`, `web ${store} 2`]);
  t.deepEqual(
    rows.map((row) => `${row.suite} ${row.scenario} ${row.clients}`),
    cells,
  );
  for (const row of rows) {
    t.true(row.passed, `${row.scenario} ${row.clients}: ${row.verdict}`);
    t.is(row.verdict, 'PASS');
    t.is(row.results.length, 2);
    t.is(row.figures?.count, 2);
    t.is(row.rps, row.figures?.rps.median ?? null);
    t.true(row.rps! > 0 && row.p99Us! > 0);
    // Two rounds give no interval: the file says how many would.
    t.is(row.figures?.rps.samplesNeeded, 6);
    for (const result of row.results) t.like(result, { clientCount: row.clients, totalCalls: 300 * row.clients, passed: true });
    t.true(Array.isArray(row.results[0].resources.threads));
    t.is(row.vsBaseline === null, row.scenario === 'shared_memory_flock');
  }

  const markdown = fs.readFileSync(path.join(outDir, 'comparison.md'), 'utf8');
  const lines = markdown.split('\n');
  t.regex(lines[0], /^\| Suite \| Scenario \| Clients \| RPS median \[95% CI\] \| RPS min-max \| p99 \(us\) median \[95% CI\] \| vs baseline \| Rank \|/);
  t.regex(lines[1], /^\|[-:|]+\|$/);
  const noInterval = String.raw`\d+ \(no 95% CI: 2 rounds, need 6\)`;
  for (const line of lines.slice(2, 2 + cells.length)) {
    t.regex(line, new RegExp(String.raw`^\| web \| \w+ \| [12] \| ${noInterval} \| \d+-\d+ \| ${noInterval} \| (baseline|~ \(p=[\d.]+\)) \| 1 \| [^|]+ \| 0 \| PASS \|`));
  }
  t.regex(markdown, /2 rounds per cell, in an order shuffled per round from seed 7 \(--seed 7 replays it\)/);

  const svg = fs.readFileSync(path.join(outDir, 'comparison.svg'), 'utf8');
  t.true(svg.startsWith('<svg'), svg.slice(0, 80));
  for (const store of WEB_STORES) t.true(svg.includes(`web ${store}`), `chart names ${store}`);
  // test/report-browser.test.ts opens such a page in chromium.
  const html = fs.readFileSync(path.join(outDir, 'comparison.html'), 'utf8');
  t.true(html.startsWith('<!doctype html>'), html.slice(0, 80));
  for (const store of WEB_STORES) t.true(html.includes(`"scenario":"web ${store}"`), `report lists ${store}`);
  t.true(html.includes('"type":"boxplot"'), 'the chart draws intervals');

  // The table on stdout; on stderr the seed, then each run with its round, in the seed's order, and the time left.
  t.is(run.stdout, markdown);
  t.regex(run.stderr, /order shuffled per round from seed 7 \(--seed 7 replays it\)/);
  const runs = [...run.stderr.matchAll(/^round (\d)\/2 \[(\d+)\/20\] (web \w+ \d) clients? \.\.\. \d+ req\/s PASS \((about [\d a-z]+ left|done in [\d a-z]+)\)$/gm)];
  t.is(runs.length, 20, run.stderr);
  const order = shuffledRounds(cells, 2, 7).flat();
  t.deepEqual(
    runs.map((match) => match[3]),
    order,
  );
});

test('compare with an unknown suite is a usage error on one line', async (t) => {
  const run = await runTester(['compare', '--suite', 'nope'], { timeoutMs: 30_000 });
  t.is(run.code, 2);
  t.is(run.stdout, '');
  const lines = run.stderr.trim().split('\n');
  t.is(lines.length, 1, run.stderr);
  t.regex(lines[0], /--suite nope/);
});

test('compare with a bad client list is a usage error', async (t) => {
  const run = await runTester(['compare', '--suite', 'web', '--clients', '1,x'], { timeoutMs: 30_000 });
  t.is(run.code, 2);
  t.regex(run.stderr.trim(), /^tester: --clients 1,x is invalid/);
});

test('compare refuses a baseline outside the grid, a bad --alpha and an unreadable --against before running', async (t) => {
  for (const [flags, message] of [
    [['--baseline', 'nope'], /^tester: --baseline nope is not in the grid: use one of web shared_memory_flock, /],
    [['--alpha', '1.5'], /^tester: --alpha 1\.5 is invalid: use a probability between 0 and 1/],
    [['--max-regression', 'x'], /^tester: --max-regression x is invalid: use a percentage, e\.g\. 5%/],
    [['--against', '/nonexistent/comparison.json'], /^tester: --against \/nonexistent\/comparison\.json cannot be read/],
  ] as const) {
    const run = await runTester(['compare', '--suite', 'web', ...flags], { timeoutMs: 30_000 });
    t.is(run.code, 2, run.stderr);
    t.regex(run.stderr.trim(), message);
  }
});

const scenario = (name: string, port: number): ScenarioGroup => ({
  suite: 'web',
  scenario: name,
  spec: { backend: 'web', targets: [{ host: '127.0.0.1', port }], timeoutMs: 10_000 },
  clients: [1],
});

test('end to end: a server that delays every answer by 20 ms is found significantly slower in every trial', async (t) => {
  const [fast, delayed] = await Promise.all([startDelayServer(0), startDelayServer(20)]);
  t.teardown(() => Promise.all([fast.close(), delayed.close()]));
  const groups = [scenario('fast', fast.port), scenario('delayed', delayed.port)];
  for (const seed of [1, 2, 3]) {
    const cells: CellRun[] = await runComparison({
      groups,
      callsPerClient: 15,
      rounds: 6,
      seed,
      warmupMs: 0,
      serverWorkers: 1,
      clientThreads: 0,
      webTimeoutMs: 10_000,
      log: () => {},
    });
    const [fastRow, delayedRow] = comparisonRows(cells, 'web fast', 0.05);
    t.true(fastRow.passed && delayedRow.passed);
    // At least 15 x 20 ms per delayed round: every fast round is faster, U = 0, p = 2/924.
    t.is(delayedRow.vsBaseline?.direction, 'slower', `seed ${seed}: ${JSON.stringify(delayedRow.vsBaseline)}`);
    t.true(delayedRow.vsBaseline!.p <= 0.05);
    t.true(delayedRow.vsBaseline!.interval!.high < 1);
    t.deepEqual([fastRow.rank, delayedRow.rank], [1, 2]);
  }
});

test('--against judges a regression only when it is significant and beyond the threshold', (t) => {
  const old = [1000, 1010, 990, 1005, 995, 1002];
  const options = { alpha: 0.05, maxRegression: 0.05 };
  t.true(judgeChange(old.map((x) => x * 0.8), old, options).regression);
  // Significantly slower, but by less than 5%: within the threshold.
  t.false(judgeChange(old.map((x) => x * 0.97), old, options).regression);
  // Faster is never a regression; the same samples are not even a difference.
  t.false(judgeChange(old.map((x) => x * 1.5), old, options).regression);
  t.is(judgeChange(old, old, options).verdict.direction, undefined);
  // 20% slower in the median but from two rounds only: not significant, so not a regression.
  t.false(judgeChange([800, 810], [1000, 1010], options).regression);
});
