/** The reference's result block and our extra lines, rendered from a hand-made result. */
import test from 'ava';
import { checkHistory } from '../tester/check/check-history.js';
import { History, Outcome } from '../tester/check/history.js';
import type { LoadResult } from '../tester/load/load-result.js';
import { extraBlock, referenceBlock, roundsBlock } from '../tester/output/result-text.js';
import { roundFigures } from '../tester/compare/round-figures.js';
import { matchReferenceBlock } from './helpers/run-tester.js';
import { QUIET_RESOURCES } from './helpers/synthetic-run.js';

function handMadeResult(overrides: Partial<LoadResult> = {}): LoadResult {
  const history = new History();
  history.record(0, 1, 2, 1, Outcome.ok);
  const check = checkHistory(history, { initial: 0, final: 1 });
  return {
    counter: 'web',
    clientCount: 10,
    callsPerClient: 10000,
    durationMs: null,
    ratePerSecond: null,
    totalCalls: 100000,
    attemptedCount: 100000,
    totalTimeS: 12.5,
    rps: 8000,
    initialCount: 0,
    finalCount: 100000,
    latency: { p50Us: 100, p90Us: 200, p99Us: 300, p999Us: 400, maxUs: 500, meanUs: 120 },
    errors: {},
    errorExamples: {},
    retryCount: 0,
    peakRssMb: 60,
    promisesExact: true,
    check,
    verdict: 'exact: 100000 of 100000 increments counted, no duplicates, real-time order kept',
    witnesses: [],
    nemesisEvents: [],
    passed: true,
    resources: QUIET_RESOURCES,
    ...overrides,
  };
}

test('referenceBlock renders the reference block byte for byte', (t) => {
  const expected =
    '============================================================\n' +
    'PERFORMANCE TEST RESULTS\n' +
    '============================================================\n' +
    'Number of clients:           10\n' +
    'Calls per client:            10000\n' +
    'Total calls made:            100000\n' +
    'Total time (seconds):        12.50\n' +
    'Requests per second (RPS):   8000.00\n' +
    'Final count:                 100000\n' +
    '============================================================';
  t.is(referenceBlock(handMadeResult()), expected);
});

test('referenceBlock rounds time and RPS to two decimals', (t) => {
  const block = referenceBlock(
    handMadeResult({ totalTimeS: 0.126, rps: 39682.53968, totalCalls: 5000, finalCount: 5000 }),
  );
  const lines = block.split('\n');
  t.is(lines[6], 'Total time (seconds):        0.13');
  t.is(lines[7], 'Requests per second (RPS):   39682.54');
  t.deepEqual(matchReferenceBlock(block + '\n'), {
    clientCount: 10,
    callsPerClient: '10000',
    totalCalls: 5000,
    totalTimeS: 0.13,
    rps: 39682.54,
    finalCount: '5000',
  });
});

test('referenceBlock shows the duration of a --duration run and an unreadable final count', (t) => {
  const block = referenceBlock(handMadeResult({ callsPerClient: null, durationMs: 30_000, finalCount: null }));
  const lines = block.split('\n');
  t.is(lines[4], 'Calls per client:            30 s');
  t.regex(lines[8], /^Final count: {17}unknown/);
  t.is(lines.length, 10);
});

test('every label of the reference block is padded to column 29', (t) => {
  for (const line of referenceBlock(handMadeResult()).split('\n').slice(3, 9)) {
    t.regex(line, /^[A-Za-z() ]+: +\S/);
    t.is(line.search(/\S+$/), 29, line);
  }
});

test('extraBlock ends with the verdict, PASS or FAIL, and lists errors per kind', (t) => {
  const passed = extraBlock(handMadeResult()).split('\n');
  t.is(passed.at(-1), '='.repeat(60));
  t.is(passed.at(-2), `Verdict:                     PASS: ${handMadeResult().verdict}`);
  t.true(passed.includes('Errors:                      none'));
  const failed = extraBlock(
    handMadeResult({
      passed: false,
      verdict: 'LOST 3 of 10 acknowledged increments',
      errors: { reset: 2, refused: 5 },
      errorExamples: { reset: 'connection closed by server' },
    }),
  ).split('\n');
  t.is(failed.at(-2), 'Verdict:                     FAIL: LOST 3 of 10 acknowledged increments');
  t.true(failed.includes('Errors:                      reset 2, refused 5'));
  t.true(failed.includes('  first reset:               connection closed by server'));
});


test('a run the loader may have limited says so in a line of its own after the unchanged reference block', (t) => {
  const threads = [{ name: 'loop thread', cpuS: 0.9, waitS: 0.05, busyShare: 0.95 }];
  const limited = handMadeResult({ resources: { ...QUIET_RESOURCES, threads, limitedBy: ['loader'] } });
  t.is(referenceBlock(limited), referenceBlock(handMadeResult()));
  const lines = extraBlock(limited).split('\n');
  t.is(lines.at(-4), 'Host CPU:                    2 CPUs 60% busy, steal 0%; load 1.5 1.2 1');
  t.is(lines.at(-3), 'Caution:                     the loader (loop thread busy 95% of the run), not the server, may have set the speed');
  t.true(extraBlock(handMadeResult()).includes('Tester CPU:                  JS thread busy 5% (0.05 s on a CPU, 0.01 s waiting for one)'));
  t.false(extraBlock(handMadeResult()).includes('Caution'));
});

test('roundsBlock gives medians with their interval, or says how many rounds one needs; nothing for one run', (t) => {
  const rounds = (rps: number[]) => rps.map((value, i) => handMadeResult({ rps: value, latency: { ...handMadeResult().latency, p99Us: 300 + i } }));
  const six = roundsBlock({ ...handMadeResult(), rounds: roundFigures(rounds([100, 104, 101, 105, 103, 102])) }).split('\n');
  t.is(six[1], 'RPS median [95% CI]:         103 [100-105], min-max 100-105');
  t.is(six[2], 'p99 (us) median [95% CI]:    303 [300-305], min-max 300-305');
  const three = roundsBlock({ ...handMadeResult(), rounds: roundFigures(rounds([100, 104, 101])) }).split('\n');
  t.is(three[1], 'RPS median [95% CI]:         101 (no 95% CI: 3 rounds, need 6), min-max 100-104');
  t.is(roundsBlock(handMadeResult()), '');
});
