/**
 * A run split into segments (--segment i/n, --start-at), each its own tester process, merged by
 * `tester merge`: the segments together are the single-process run (every client once, the
 * count exact), a lossy or a duplicating server is caught across them, a missing segment is
 * named, and files that are not one run's segments are refused.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as hdr from 'hdr-histogram-js';
import { freePort } from '../tester/harness/free-port.js';
import { runTesterProcess } from '../tester/harness/tester-process.js';
import { waitUntil } from '../tester/harness/wait-until.js';
import {
  describeRun,
  type FaultyMode,
  parseJsonOutput,
  runTester,
  startFaultyServer,
  stderrLines,
  TESTER_MAIN,
  type TesterRun,
} from './helpers/run-tester.js';
import { ROOT } from './helpers/server-process.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'segments-'));
test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));

/**
 * Far enough ahead for every segment's process to start, connect and (segment 1) reset on a busy
 * host; the runs that wait for it go one at a time (test.serial), three processes at once.
 */
const START_AHEAD_MS = 15_000;
const RATE = 3001;
const CLIENTS = 10;
const CALLS = 300;

let runNumber = 0;

/** The segments' files of one run. */
function files(name: string, count: number, ext: string): string[] {
  return Array.from({ length: count }, (_, i) => path.join(dir, `${name}-${i + 1}.${ext}`));
}

/** Runs n segments of one web run at once, each its own process; resolves with their runs and files. */
async function runSegments(
  port: number,
  count: number,
  extra: string[] = [],
  startAtMs = Date.now() + START_AHEAD_MS,
): Promise<{ runs: TesterRun[]; outputs: string[]; histories: string[] }> {
  const name = `run${++runNumber}`;
  const [outputs, histories] = [files(name, count, 'json'), files(name, count, 'jsonl')];
  const base = ['web', '--counter-host', '127.0.0.1', '--counter-port', String(port), '--n-clients', String(CLIENTS)];
  const runs = await Promise.all(
    outputs.map((output, i) =>
      runTesterProcess(
        [
          ...base,
          ...['--n-calls-per-client', String(CALLS), '--segment', `${i + 1}/${count}`, '--start-at', String(startAtMs)],
          ...['--output', output, '--history', histories[i], ...extra],
        ],
        { cwd: ROOT, timeoutMs: 120_000 },
      ),
    ),
  );
  return { runs, outputs, histories };
}

async function withServer<T>(mode: FaultyMode, work: (port: number) => Promise<T>, every?: number): Promise<T> {
  const port = await freePort();
  const server = await startFaultyServer(mode, port, every);
  try {
    return await work(port);
  } finally {
    await server.stop();
  }
}

/** The main run's segments' --output files, for the tests that merge them otherwise. */
let mainOutputs: string[] = [];

const MAIN_RUN = '3 segments are the single run: every client once, the count exact, the rate split, percentiles summed';
test.serial(MAIN_RUN, async (t) => {
  // Two client threads per segment: a thread's clients are numbered from its segment's first.
  const extra = ['--rate', String(RATE), '--client-threads', '2'];
  const { runs, outputs, histories } = await withServer('ok', (port) => runSegments(port, 3, extra));
  mainOutputs = outputs;
  for (const run of runs) t.is(run.code, 0, describeRun(run));
  const segments = outputs.map((file) => JSON.parse(fs.readFileSync(file, 'utf8')));
  t.deepEqual(
    segments.map((result) => [result.clientCount, result.totalCalls, result.segment.clients]),
    [
      [4, 4 * CALLS, { first: 0, size: 4 }],
      [3, 3 * CALLS, { first: 4, size: 3 }],
      [3, 3 * CALLS, { first: 7, size: 3 }],
    ],
  );
  // --rate as the clients: each client keeps the single run's pace, the parts add up to the rate.
  t.deepEqual(
    segments.map((result) => result.ratePerSecond),
    [(RATE * 4) / 10, (RATE * 3) / 10, (RATE * 3) / 10],
  );
  t.deepEqual(
    segments.map((result) => result.segment.controlCalls.map((call: { f: string }) => call.f)),
    [['reset', 'read', 'read'], ['read', 'read'], ['read', 'read']],
    'only segment 1 resets; every segment reads before and after its calls',
  );
  // Processes in the histories are the single run's client numbers: no two segments share one.
  const processes = histories.map((file) => {
    const seen = new Set<number>();
    for (const line of fs.readFileSync(file, 'utf8').split('\n'))
      if (line) {
        const event = JSON.parse(line);
        if (typeof event.process === 'number') seen.add(event.process);
      }
    return [...seen].sort((a, b) => a - b);
  });
  t.deepEqual(processes, [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]);
  // Their histories judged as one run: every value checked across segments, clocks from the Date header.
  const check = await runTester(['check', ...histories]);
  t.is(check.code, 0, describeRun(check));
  t.regex(check.stdout, /^segments on .*-1\.jsonl's clock: .* \(measured against the server's Date header\)\n/);
  t.regex(check.stdout, new RegExp(`PASS: exact: ${CLIENTS * CALLS} of ${CLIENTS * CALLS} increments counted`));

  const merge = await runTester(['merge', ...outputs, '--json']);
  t.is(merge.code, 0, describeRun(merge));
  const merged = parseJsonOutput(merge);
  t.like(merged, {
    passed: true,
    verdict: `exact: ${CLIENTS * CALLS} of ${CLIENTS * CALLS} increments counted`,
    clientCount: CLIENTS,
    totalCalls: CLIENTS * CALLS,
    finalCount: CLIENTS * CALLS,
    initialCount: 0,
    missingSegments: [],
    ratePerSecond: RATE,
  });
  // Each segment's histogram holds its acknowledged calls; the merged percentiles are their sum's.
  const sum = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  for (const segment of segments) {
    const histogram = hdr.decodeFromCompressedBase64(segment.segment.histograms.latency);
    t.is(histogram.totalCount, segment.totalCalls);
    sum.add(histogram);
  }
  t.is(merged.latency.p99Us, sum.getValueAtPercentile(99));
  t.is(merged.latency.maxUs, sum.maxValue);

  // One process with every client gives the same count and the same verdict on it.
  const single = await withServer('ok', (port) =>
    runTester([
      ...['web', '--counter-host', '127.0.0.1', '--counter-port', String(port), '--n-clients', String(CLIENTS)],
      ...['--n-calls-per-client', String(CALLS), '--rate', String(RATE), '--json'],
    ]),
  );
  const one = parseJsonOutput(single);
  t.is(one.finalCount, merged.finalCount);
  t.is(one.passed, merged.passed);
  t.true(one.verdict.startsWith(merged.verdict), one.verdict);
});

test.serial('a lossy server is caught across segments: the merged count is LOST, exit 1', async (t) => {
  const { runs, outputs, histories } = await withServer('lose', (port) => runSegments(port, 3), 50);
  for (const run of runs) t.is(run.code, 0, describeRun(run));
  const merge = await runTester(['merge', ...outputs]);
  t.is(merge.code, 1, describeRun(merge));
  const lost = (CLIENTS * CALLS) / 50;
  t.regex(merge.stdout, new RegExp(`^Verdict: +FAIL: LOST ${lost} of ${CLIENTS * CALLS} acknowledged increments$`, 'm'));
  const check = await runTester(['check', ...histories]);
  t.is(check.code, 1, describeRun(check));
  t.regex(check.stdout, new RegExp(`FAIL: LOST ${lost} of ${CLIENTS * CALLS} acknowledged increments`));
});

test.serial('a server counting some increments twice is caught across segments: EXTRA, exit 1', async (t) => {
  const { runs, outputs, histories } = await withServer('duplicate', (port) => runSegments(port, 3), 50);
  for (const run of runs) t.is(run.code, 0, describeRun(run));
  // Judged from the histories: the final read, named in the file of the segment that made it.
  const check = await runTester(['check', ...histories]);
  t.is(check.code, 1, describeRun(check));
  const extraCount = (CLIENTS * CALLS) / 50;
  t.regex(check.stdout, new RegExp(`FAIL: EXTRA ${extraCount} increments counted beyond the ${CLIENTS * CALLS} attempted`));
  t.regex(check.stdout, /final read \d+ outside \[\d+, \d+\]: tester op \d+ of .*-\d\.jsonl \[/);
  const merge = await runTester(['merge', ...outputs]);
  t.is(merge.code, 1, describeRun(merge));
  const extra = (CLIENTS * CALLS) / 50;
  const verdict = `FAIL: EXTRA ${extra} increments counted beyond the ${CLIENTS * CALLS} attempted`;
  t.regex(merge.stdout, new RegExp(`^Verdict: +${verdict}$`, 'm'));
});

test.serial("a segment's results missing fail the merged verdict, which names it", async (t) => {
  const merge = await runTester(['merge', mainOutputs[0], mainOutputs[2], '--json']);
  t.is(merge.code, 1, describeRun(merge));
  const merged = parseJsonOutput(merge);
  t.false(merged.passed);
  t.deepEqual(merged.missingSegments, [2]);
  t.regex(merged.verdict, /MISSING segment 2\/3/);
});

test.serial('one segment killed mid-run leaves no result: the merged verdict names it and fails', async (t) => {
  const port = await freePort();
  const server = await startFaultyServer('ok', port);
  const startAtMs = Date.now() + START_AHEAD_MS;
  const name = `killed${++runNumber}`;
  const [first, , third] = files(name, 3, 'json');
  const histories = files(name, 3, 'jsonl');
  const segment = (i: number, output?: string) => [
    ...['web', '--counter-host', '127.0.0.1', '--counter-port', String(port), '--n-clients', '3'],
    ...['--duration', '8s', '--segment', `${i}/3`, '--start-at', String(startAtMs), '--history', histories[i - 1]],
    ...(output ? ['--output', output] : []),
  ];
  const killed = spawn(process.execPath, [TESTER_MAIN, ...segment(2)], { stdio: 'ignore' });
  const exited = new Promise((resolve) => killed.on('exit', resolve));
  try {
    const others = Promise.all([1, 3].map((i, k) => runTesterProcess(segment(i, [first, third][k]), { cwd: ROOT })));
    // Killed once the run's calls are counting: the segments have started.
    const counting = async () => Number((await (await fetch(`http://127.0.0.1:${port}/count`)).json()).count) > 100;
    t.true(await waitUntil(counting, 60_000));
    // And its history has reached the disk (it is flushed about every second).
    t.true(await waitUntil(() => fs.existsSync(histories[1]) && fs.statSync(histories[1]).size > 0, 60_000));
    killed.kill('SIGKILL');
    await exited;
    for (const run of await others) t.is(run.code, 0, describeRun(run));
  } finally {
    killed.kill('SIGKILL');
    await server.stop();
  }
  const merge = await runTester(['merge', first, third]);
  t.is(merge.code, 1, describeRun(merge));
  t.regex(merge.stdout, /^Verdict: +FAIL: count not judged: .*; MISSING segment 2\/3: killed/m);
  t.regex(merge.stdout, /^Segment 2\/3: +MISSING/m);
  // The histories judged together: the killed segment's is judged as far as it goes, named, and the run cannot pass.
  const check = await runTester(['check', ...histories]);
  t.is(check.code, 1, describeRun(check));
  t.regex(check.stderr, /^tester: warning: .*killed\d+-2\.jsonl: /m);
  t.regex(check.stdout, /FAIL/);
});

test.serial('segment 1 starting after --start-at leaves the count unjudged (others may have counted before its reset)', async (t) => {
  // A start at once: every segment starts late by its process's start-up at least, and says so.
  const startAtMs = Date.now();
  const { runs, outputs } = await withServer('ok', (port) => runSegments(port, 2, [], startAtMs));
  for (const run of runs) {
    t.is(run.code, 0, describeRun(run));
    t.regex(stderrLines(run).join('\n'), /^tester: segment [12]\/2 started \d+ ms after --start-at$/m);
  }
  const { segment } = JSON.parse(fs.readFileSync(outputs[0], 'utf8'));
  t.true(Math.abs(segment.startWallMs - (startAtMs + segment.lateMs)) < 0.001, 'late from --start-at to its start');
  const merge = await runTester(['merge', ...outputs]);
  t.is(merge.code, 1, describeRun(merge));
  t.regex(merge.stdout, /^Verdict: +FAIL: count not judged: segment 1 reset and read the counter \d+ ms after --start-at/m);
});

test.serial("the segments' thresholds are judged over the whole run by merge", async (t) => {
  // As if every segment had been given --min-rps 1000000000 --max-errors 0: their plans carry them.
  const judged = mainOutputs.map((file, i) => {
    const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
    saved.segment.plan.thresholds = { minRps: 1_000_000_000, maxErrors: 0 };
    const copy = path.join(dir, `thresholds-${i + 1}.json`);
    fs.writeFileSync(copy, JSON.stringify(saved));
    return copy;
  });
  const merge = await runTester(['merge', ...judged, '--json']);
  t.is(merge.code, 1, describeRun(merge));
  const merged = parseJsonOutput(merge);
  t.like(merged.thresholds[0], { flag: '--min-rps', limit: 1_000_000_000, actual: Math.round(merged.rps * 100) / 100, passed: false });
  t.like(merged.thresholds[1], { flag: '--max-errors', limit: 0, actual: 0, passed: true });
  t.regex(merged.verdict, /^exact: \d+ of \d+ increments counted; threshold --min-rps 1000000000 not reached: [\d.]+ requests\/s$/);
});

test.serial('no read after the last segment ended (as its clock says) leaves the count unjudged', async (t) => {
  // As if segment 3 had ended an hour after every read of the count.
  const copies = mainOutputs.map((file, i) => {
    const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (i === 2) saved.segment.endWallMs += 3600_000;
    const copy = path.join(dir, `late-end-${i + 1}.json`);
    fs.writeFileSync(copy, JSON.stringify(saved));
    return copy;
  });
  const merged = parseJsonOutput(await runTester(['merge', ...copies, '--json']));
  t.like(merged, { passed: false, finalCount: null, count: { valid: 'unknown' } });
  t.is(merged.verdict, 'count not judged: no segment read the count after the last segment ended');
});

test.serial("files that are not one run's segments are refused in one line, exit 2", async (t) => {
  const [a, b] = mainOutputs;
  const saved = JSON.parse(fs.readFileSync(b, 'utf8'));
  const write = (name: string, result: unknown) => {
    fs.writeFileSync(path.join(dir, name), JSON.stringify(result));
    return path.join(dir, name);
  };
  const { plan } = saved.segment;
  const later = write('later.json', { ...saved, segment: { ...saved.segment, plan: { ...plan, startAtMs: plan.startAtMs + 1 } } });
  const other = write('other.json', { ...saved, segment: { ...saved.segment, plan: { ...plan, clientCount: 11 } } });
  const fourths = write('fourths.json', { ...saved, segment: { ...saved.segment, count: 4 } });
  const plain = write('plain.json', { counter: 'web', rps: 1 });
  const refusals: Array<[string[], RegExp]> = [
    [[a, later], /^tester: \S+ and \S+later\.json are segments of different runs: their --start-at differ/],
    [[a, other], /^tester: \S+ and \S+other\.json are segments of different runs: their --n-clients differ/],
    [[a, fourths], /^tester: \S+ and \S+ are segments 1\/3 and 2\/4: not of one run/],
    [[a, b, b], /^tester: \S+ and \S+ are both segment 2\/3/],
    [[a, plain], /^tester: \S+plain\.json is not a segment's --output/],
    [[path.join(dir, 'none.json')], /^tester: \S+none\.json cannot be read/],
    [[], /positional/],
  ];
  for (const [args, message] of refusals) {
    const run = await runTester(['merge', ...args]);
    t.is(run.code, 2, describeRun(run));
    t.is(stderrLines(run).length, 1, describeRun(run));
    t.regex(run.stderr, message);
  }
  t.is((await runTester(['merge', ...mainOutputs])).code, 0);
});
