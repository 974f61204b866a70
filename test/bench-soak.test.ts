/**
 * The bench's soak section: --soak-minutes refuses what is not a positive number, in one line
 * with exit code 2; a short real run (our server, the built tester, samples every 2 s) records
 * the RSS of both processes, fits both slopes, records the tester's verdict, and renders its plot
 * and table; and a soak run alone replaces only the committed soak.
 */
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Recorder } from '../bench/recorder.js';
import { type BenchResults, renderMarkdown, withSections } from '../bench/report.js';
import type { BenchContext } from '../bench/sections/section.js';
import { SOAK_TITLE, soakSection } from '../bench/sections/soak-section.js';
import { renderSoakPlot, SOAK_PLOT_FILE } from '../bench/soak-plot.js';
import { MIN_SLOPE_SAMPLES } from '../bench/soak-result.js';
import { run } from './helpers/processes.js';
import { ROOT } from './helpers/server-process.js';

const bench = (...args: string[]) => run(process.execPath, [path.join(ROOT, 'dist/bench/main.js'), ...args]);

const REFUSED = [
  ['--soak-minutes', '0'],
  ['--soak-minutes=-2'],
  ['--soak-minutes', 'abc'],
  ['--soak-minutes='],
  ['--soak-minutes', 'Infinity'],
  ['--soak-minutes'],
];
for (const bad of REFUSED) {
  test(`npm run bench -- ${bad.join(' ')} is refused in one line, exit 2`, async (t) => {
    const { code, stdout, stderr } = await bench(...bad);
    t.is(code, 2, stderr);
    t.is(stdout, '');
    t.regex(stderr, /^bench: .*--soak-minutes.*\n$/);
  });
}

test('--soak-minutes with an --only that leaves the soak out is refused', async (t) => {
  const { code, stderr } = await bench('--only', 'servers', '--soak-minutes', '2');
  t.is(code, 2, stderr);
  t.is(stderr, 'bench: --soak-minutes is for the soak section, which --only servers leaves out\n');
});

test('a short soak records the RSS of the tester and of the server, both slopes and the verdict', async (t) => {
  const lines: string[] = [];
  const recorder = new Recorder((line) => lines.push(line));
  const missing = { missing: 'not needed by the soak' };
  const ctx: BenchContext = {
    root: ROOT,
    sourceRoot: ROOT,
    durationS: 1,
    recorder,
    log: (line) => lines.push(line),
    tools: { wrk: missing, autocannon: missing, redis: missing, pgbench: missing, java: missing, vegeta: missing },
    services: { postgresql: missing, hazelcast: missing },
  };
  const section = soakSection(ctx, os.tmpdir(), { minutes: 0.4, sampleIntervalS: 2, settleS: 6 });
  await section.run(1);
  const soak = recorder.soak!;
  t.truthy(soak, lines.join('\n'));
  t.true('passed' in soak.tester && soak.tester.passed, JSON.stringify(soak.tester));
  t.true(soak.samples.filter((s) => s.atS >= 6).length >= MIN_SLOPE_SAMPLES, lines.join('\n'));
  for (const sample of soak.samples) {
    // A node process holds tens of MB at the least: a zero would be a process not found.
    const { testerMb, serverPrimaryMb, serverWorkersMb } = sample;
    t.true(testerMb > 10 && serverPrimaryMb > 10 && serverWorkersMb > 20, JSON.stringify(sample));
  }
  t.true(Number.isFinite(soak.testerMbPerMinute) && Number.isFinite(soak.serverMbPerMinute));
  t.is(typeof soak.passed, 'boolean');
  t.regex(soak.server, /^ours: shm flock, WORKERS=2 \(shared_memory \(flock/);
  const progress = /^soak 0:\d\d \/ 0:24: tester \d+ MB, server \d+ MB \(primary \d+, workers \d+\)$/;
  t.true(lines.some((line) => progress.test(line)), lines.join('\n'));

  // Once per bench: its length is the measurement.
  t.true(section.once);

  const plot = renderSoakPlot(soak);
  t.is(plot.match(/<polyline /g)?.length, 2);
  t.is(plot.match(/stroke-dasharray/g)?.length, 2);

  // Run alone, it replaces the committed soak and leaves every row as it was.
  const committed = JSON.parse(fs.readFileSync(path.join(ROOT, 'bench/results.json'), 'utf8')) as BenchResults;
  const info = { title: section.title, refHeader: section.refHeader, notes: section.notes, kind: section.kind };
  const alone = { ...committed, date: 'later', sections: [info], rows: [], ratios: [], memory: [], storage: {}, soak };
  const merged = withSections(withSections(committed, alone, 'soak'), alone, 'soak');
  t.deepEqual(merged.rows, committed.rows);
  t.deepEqual(merged.ratios, committed.ratios);
  t.is(merged.sections.filter((s) => s.kind === 'soak').length, 1);
  const markdown = renderMarkdown(merged);
  const image = `![RSS of the tester and of the server during the soak](${SOAK_PLOT_FILE})`;
  t.true(markdown.includes(`## ${SOAK_TITLE}\n\nMeasured by itself on later (\`npm run bench -- --only soak\``), markdown);
  t.true(markdown.includes(image));
  const slopeRow = /\| tester \| [\d,]+ → [\d,]+ MB \| [+-]\d+\.\d\d MB\/min \| 1 MB\/min \| (pass|\*\*FAIL\*\*) \|/;
  t.regex(markdown, slopeRow);
  t.regex(markdown, /\| tester's run \| [\d,]+ req\/s, peak RSS [\d,]+ MB; PASS: .* \| \| PASS \| pass \|/);
});
