/**
 * docs/benchmarks.md's figures and bench/RESULTS.md are renderings of the committed
 * bench/results.json: a hand-edited figure, or results committed without rendering, fail here.
 * Fix with `npm run build && npm run bench:render`.
 */
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bracketsMeaning, computeRatio, roundBrackets, type Row } from '../bench/measurement.js';
import { currentReadmeBlock, headlineRowIds, renderReadmeBlock } from '../bench/readme-block.js';
import { Recorder } from '../bench/recorder.js';
import { type BenchResults, renderMarkdown, withSections } from '../bench/report.js';
import { hazelcastSection } from '../bench/sections/hazelcast-section.js';
import { postgresqlSection } from '../bench/sections/postgresql-section.js';
import type { BenchContext } from '../bench/sections/section.js';
import { serversSection } from '../bench/sections/servers-section.js';
import { vegetaSection } from '../bench/sections/vegeta-section.js';
import { workersSection } from '../bench/sections/workers-section.js';
import { renderSoakPlot, SOAK_PLOT_FILE } from '../bench/soak-plot.js';
import { ROOT } from './helpers/server-process.js';

const results = JSON.parse(fs.readFileSync(path.join(ROOT, 'bench/results.json'), 'utf8')) as BenchResults;
const readme = fs.readFileSync(path.join(ROOT, 'docs/benchmarks.md'), 'utf8');

test("docs/benchmarks.md's block is the committed results, rendered", (t) => {
  t.is(currentReadmeBlock(readme), renderReadmeBlock(results), 'run npm run bench:render');
});

test('bench/RESULTS.md is the committed results, rendered', (t) => {
  t.is(
    fs.readFileSync(path.join(ROOT, 'bench/RESULTS.md'), 'utf8'),
    renderMarkdown(results),
    'run npm run bench:render',
  );
});

test("bench/soak.svg is the committed soak's plot, rendered, and absent when the results have no soak", (t) => {
  const file = path.join(ROOT, 'bench', SOAK_PLOT_FILE);
  if (!results.soak) return t.false(fs.existsSync(file), 'run npm run bench:render');
  t.is(fs.readFileSync(file, 'utf8'), renderSoakPlot(results.soak), 'run npm run bench:render');
});

test("docs/benchmarks.md quotes no figure outside the generated block", (t) => {
  const section = readme;
  const block = currentReadmeBlock(section) ?? '';
  const prose = section.replace(block, '');
  // Speeds, latencies and ratios; a target ("1.5x autocannon" as a goal) is allowed when it says so.
  const figures = prose.match(/\d[\d,.]*\s?(?:µs|ms|k\b|rps)|\b\d+\.\d+x\b/g) ?? [];
  t.deepEqual(figures, ['1.5x'], 'only the autocannon target is quoted in prose');
});

test('methods that promise nothing read "as designed" in the check column, not "pass"', (t) => {
  const markdown = renderMarkdown(results);
  for (const method of ['lost_update', 'no_lock']) {
    t.regex(
      markdown,
      new RegExp(`\\| ${method} \\| tester \\| 10 \\| .* \\| as designed \\(method promises nothing\\) \\|`),
    );
  }
  t.regex(markdown, /\| inplace_update \| tester \| 10 \| .* \| pass \|/);
});

test('results without the machine\'s figures render "not recorded", never "undefined"', (t) => {
  const block = renderReadmeBlock({ ...results, environment: {} });
  t.notRegex(block, /undefined/);
  t.regex(block, /CPUs not recorded, Node not recorded, PostgreSQL not measured;/);
});

test('every headline quotes a row that a section of the bench declares', (t) => {
  const recorder = new Recorder(() => {});
  const missing = { missing: 'not needed to declare rows' };
  const ctx: BenchContext = {
    root: ROOT,
    sourceRoot: ROOT,
    durationS: 1,
    recorder,
    log: () => {},
    tools: { wrk: missing, autocannon: missing, redis: missing, pgbench: missing, java: missing, vegeta: missing },
    services: { postgresql: missing, hazelcast: missing },
  };
  const storageDir = os.tmpdir();
  for (const section of [
    serversSection(ctx, storageDir),
    workersSection(ctx, storageDir),
    postgresqlSection(ctx),
    hazelcastSection(ctx),
    vegetaSection(ctx),
  ])
    for (const ratio of section.ratios)
      t.true(recorder.rows.has(ratio.top) && recorder.rows.has(ratio.bottom), ratio.name);
  const undeclared = headlineRowIds().filter((id) => !recorder.rows.has(id));
  t.deepEqual(undeclared, [], 'update HEADLINES in bench/readme-block.ts');
});

test('a results file without the newer rows renders them "not measured", and latency targets read "at most"', (t) => {
  const block = renderReadmeBlock(results);
  t.regex(block, /\| tester `web --rate 1000`, bare uWS counter \|/);
  const lastRound = { round: 1, at: results.date, load1: 0, errorCount: 0 };
  const latencyRows: Row[] = ['vegeta', 'tester'].map((tool, i) => ({
    id: `x | ${tool} | 50`,
    section: 'x',
    subject: 'x',
    tool: tool as Row['tool'],
    connections: 50,
    samples: [{ ...lastRound, rps: 1000, p50Us: 100 * (i + 1), p99Us: 200 * (i + 1) }],
  }));
  const rows = new Map(latencyRows.map((row) => [row.id, row]));
  const [top, bottom] = ['x | tester | 50', 'x | vegeta | 50'];
  const spec = { name: 'p99', top, bottom, metric: 'p99Us' as const, target: 1.25 };
  const ratio = computeRatio(spec, rows);
  const missed = renderReadmeBlock({ ...results, ratios: [ratio] });
  t.regex(missed, /- p99: 2\.00x, target at most 1\.25x/);
});

test("bench brackets a median ratio with tester/stats' 95% interval from 6 rounds on, with the range before", (t) => {
  // Ten rounds: the interval is [x(2), x(9)], narrower than the range.
  t.is(roundBrackets([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0].reverse()), ' [0.20x–0.90x]');
  t.is(roundBrackets([1.2, 0.9, 1.0]), ' [0.90x–1.20x]');
  t.is(roundBrackets([1.2]), '');
  t.regex(bracketsMeaning(10), /95% confidence interval/);
  t.regex(bracketsMeaning(3), /range over the rounds \(3 rounds give no 95% interval: 6 do\)/);
});

test('a section run by itself replaces its rows, ratios and notes, where they were, and says when it ran', (t) => {
  const title = results.sections.find((section) => section.title.startsWith('PostgreSQL'))!.title;
  const own = (r: BenchResults) => r.rows.filter((row) => row.section === title);
  const ownRatios = (r: BenchResults) => r.ratios.filter((ratio) => own(r).some((row) => row.id === ratio.top));
  const rows = own(results).map((row) => ({ ...row, samples: row.samples.map((s) => ({ ...s, rps: s.rps * 2 })) }));
  const section = { ...results.sections.find((s) => s.title === title)!, notes: ['measured again'] };
  const alone: BenchResults = { ...results, date: 'LATER', sections: [section], rows, ratios: ownRatios(results).map((r) => ({ ...r, value: 42 })), memory: [], storage: {} };
  const merged = withSections(results, alone, 'postgresql');
  t.deepEqual(merged.sections.map((s) => s.title), results.sections.map((s) => s.title));
  t.deepEqual(own(merged), rows);
  t.deepEqual(merged.rows.filter((row) => row.section !== title), results.rows.filter((row) => row.section !== title));
  t.deepEqual(merged.ratios.map((r) => r.name), results.ratios.map((r) => r.name), 'in the same places');
  t.true(ownRatios(merged).every((r) => r.value === 42));
  t.deepEqual(merged.soak, results.soak);
  const markdown = renderMarkdown(merged);
  t.true(markdown.includes(`## ${title}\n\nMeasured by itself on LATER (\`npm run bench -- --only postgresql\``), markdown);
  t.true(markdown.includes('- measured again'));
});
