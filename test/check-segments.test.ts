/**
 * `tester check A B C`: the histories of a run's segments judged as the one run they make, through
 * the CLI. A random history's clients are split into three segments, each saved as its own
 * history on a clock of its own (its wall clock at its start saved beside it): judged together,
 * they get the exit code and verdict of the whole history judged as one, a lossy and a
 * duplicating server caught across segments; anything that is not the n segments of one run is
 * refused in one line.
 */
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { History, Outcome, type HistoryData } from '../tester/check/history.js';
import { writeHistory } from '../tester/history/history-writer.js';
import type { ControlOp, RunHistory, RunMeta, SegmentMeta } from '../tester/history/run-history.js';
import { seededRandom } from './helpers/fuzz.js';
import { randomHistory, type RandomHistory, type ServerFault } from './helpers/random-histories.js';
import { runTester } from './helpers/run-tester.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'counters-check-segments-'));
test.after.always(() => fs.rmSync(tmp, { recursive: true, force: true }));

const SEGMENTS = 3;
/** Every time in the random histories is shifted past the reset and the first read. */
const SHIFT_US = 10;
/** The load begins well after the first segment's read: further than the clocks may differ. */
const LOAD_AFTER_US = 5000;
/** Each segment's wall clock at its start, as if started at different moments on different hosts. */
const WALL_ORIGIN_US = [1.7e15, 1.7e15 - 3_000, 1.7e15 - 12_345];

const reset: ControlOp = { f: 'reset', invokeUs: 0, completeUs: 1, type: 'ok', value: null };

function meta(clientCount: number, segment?: SegmentMeta): RunMeta {
  return { counter: 'synthetic', clientCount, promisesExact: true, linearizable: true, unreadableCount: 0, ...(segment ? { segment } : {}) };
}

/** The calls of the clients `keep` takes, `shiftUs` later. */
function callsOf(data: HistoryData, keep: (client: number) => boolean, shiftUs: number): HistoryData {
  const ops = new History();
  for (let i = 0; i < data.length; i++) {
    if (!keep(data.clientIds[i])) continue;
    const value = Number.isNaN(data.values[i]) ? undefined : data.values[i];
    ops.record(data.clientIds[i], data.invokeUs[i] + shiftUs, data.completeUs[i] + shiftUs, value, data.outcomes[i] as Outcome);
  }
  return ops.data();
}

/** The initial read, at the run's start, and the final one, after the load. */
function reads(history: RandomHistory, shiftUs: number): ControlOp[] {
  return history.reads.map((read, i) => {
    const at = i === 0 ? SHIFT_US : shiftUs + LOAD_AFTER_US;
    return { f: 'read', type: 'ok', value: read.value, invokeUs: read.invokeUs + at, completeUs: read.completeUs + at };
  });
}

/** The whole history as one file, and split by client into SEGMENTS files, each on its own clock. */
function saved(history: RandomHistory, name: string, options: { skipIndex?: number; clock?: boolean } = {}) {
  const clientCount = Math.max(...history.data.clientIds, SEGMENTS) + 1;
  const whole: RunHistory = {
    meta: meta(clientCount),
    originUs: 0,
    controlOps: [reset, ...reads(history, SHIFT_US)],
    ops: callsOf(history.data, () => true, SHIFT_US + LOAD_AFTER_US),
    nemesisEvents: [],
  };
  const wholeFile = path.join(tmp, `${name}-whole.jsonl`);
  writeHistory(wholeFile, whole);
  const files: string[] = [];
  for (let k = 0; k < SEGMENTS; k++) {
    // Segment k's clock started WALL_ORIGIN_US[k] - WALL_ORIGIN_US[0] later than the first's.
    const shift = SHIFT_US - (WALL_ORIGIN_US[k] - WALL_ORIGIN_US[0]);
    const clockOffset = { lowUs: -500, highUs: 500, against: "the server's Date header" };
    const segment: SegmentMeta = {
      index: k + 1 === options.skipIndex ? 1 : k + 1,
      count: SEGMENTS,
      wallClockOriginUs: WALL_ORIGIN_US[k],
      ...(options.clock === false ? {} : { clockOffset }),
    };
    const mine = reads(history, shift).filter((_, i) => k === 0 || i === 1);
    const own = k === 0 ? [reset, ...mine] : [{ ...mine[0], invokeUs: 2, completeUs: 3, value: history.initial }, ...mine];
    const file = path.join(tmp, `${name}-${k + 1}.jsonl`);
    writeHistory(file, {
      meta: meta(clientCount, segment),
      originUs: 0,
      controlOps: own.sort((a, b) => a.invokeUs - b.invokeUs),
      ops: callsOf(history.data, (client) => client % SEGMENTS === k, shift + LOAD_AFTER_US),
      nemesisEvents: [],
    });
    files.push(file);
  }
  return { wholeFile, files };
}

function firstWithCalls(fault: ServerFault, seed: number): RandomHistory {
  const random = seededRandom(seed);
  const size = { maxCalls: 60, clients: 9, callsPerClient: 10 };
  for (;;) {
    const history = randomHistory(random, fault, size);
    const valued = history.data.values.filter((v) => !Number.isNaN(v)).length;
    if (history.final !== undefined && valued > 5 && new Set(history.data.clientIds).size >= SEGMENTS) return history;
  }
}

for (const [fault, code] of [['correct', 0], ['lossy', 1], ['duplicating', 1]] as const) {
  test(`a ${fault} server's segments judged together get the whole history's verdict (exit ${code})`, async (t) => {
    const history = firstWithCalls(fault, fault.length);
    const { wholeFile, files } = saved(history, fault);
    const whole = await runTester(['check', wholeFile]);
    const together = await runTester(['check', ...files, '--clock-skew', '0']);
    t.is(whole.code, code, whole.stdout + whole.stderr);
    t.is(together.code, code, together.stdout + together.stderr);
    const [clocks, verdict] = together.stdout.split('\n');
    t.is(verdict, whole.stdout.split('\n')[0]);
    t.regex(clocks, /^segments on .*-1\.jsonl's clock: .*-2\.jsonl -3\.000 ms, .*-3\.jsonl -12\.345 ms; calls of different segments in real-time order only when more than 0\.000 ms apart \(--clock-skew\)$/);
    if (code === 1) t.regex(together.stdout, / of .*-\d\.jsonl \[/, 'a witness names its segment file');
  });
}

test('without --clock-skew the measured offsets say how far apart segments must be', async (t) => {
  const { files } = saved(firstWithCalls('correct', 5), 'measured');
  const { code, stdout, stderr } = await runTester(['check', ...files]);
  t.is(code, 0, stdout + stderr);
  t.regex(stdout.split('\n')[0], /more than 1\.000 ms apart \(measured against the server's Date header\)$/);
});

test('what is not the segments of one run is refused in one line, exit 2', async (t) => {
  const history = firstWithCalls('correct', 7);
  const { wholeFile, files } = saved(history, 'refused');
  const twice = saved(history, 'twice', { skipIndex: 2 }).files;
  const unclocked = saved(history, 'unclocked', { clock: false }).files;
  const cases: [string[], RegExp][] = [
    [[files[0], files[1]], /^tester: segment 3\/3 is missing: give all 3 segments' histories\n$/],
    [twice, /^tester: segment 1\/3 given twice: .*-1\.jsonl and .*-2\.jsonl\n$/],
    [[wholeFile, files[1]], /^tester: .*-whole\.jsonl: not a segment's history \(saved without --segment i\/n\)\n$/],
    [[files[0], files[0], files[2]], /^tester: segment 1\/3 given twice/],
    [unclocked, /^tester: .*-1\.jsonl: its target has no clock the tester could read: give --clock-skew/],
    [[...files, '--clock-skew', 'soon'], /^tester: --clock-skew soon is not a duration/],
    [[files[0], '--clock-skew', '2ms'], /^tester: --clock-skew is for several segments' histories/],
    [[...files, '--report', path.join(tmp, 'r.html')], /^tester: --report draws one history/],
  ];
  for (const [args, message] of cases) {
    const { code, stdout, stderr } = await runTester(['check', ...args]);
    t.is(code, 2, `${args.join(' ')}: ${stdout}${stderr}`);
    t.regex(stderr, message);
  }
});

test("a segment whose calls may have begun before the first segment's read: nothing judged, exit 1", async (t) => {
  const { files } = saved(firstWithCalls('correct', 5), 'early');
  // The measured offsets leave 1 ms either way: a load 5 ms after the read is clear of it, 10 ms of skew is not.
  const { code, stdout, stderr } = await runTester(['check', ...files, '--clock-skew', '10ms']);
  t.is(code, 1, stdout + stderr);
  t.regex(stdout.split('\n')[1], /^FAIL: nothing judged: .*-1\.jsonl read the count after its reset only after a call of .*-[23]\.jsonl may have begun/);
});
