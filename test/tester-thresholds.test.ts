/**
 * k6-style thresholds: --max-p99, --min-rps and --max-errors make a run exit 1 and are named
 * in the verdict and in --json, so a CI step needs nothing around the tester.
 */
import test from 'ava';
import { type AnswerShape, startShapeServer } from './helpers/shape-server.js';
import { describeRun, parseJsonOutput, runTester, type TesterRun } from './helpers/run-tester.js';

const countOf = (n: number) => `{"count":${n}}`;
const CORRECT: AnswerShape = { inc: countOf, read: countOf };

async function runWith(shape: AnswerShape, args: string[]): Promise<TesterRun> {
  const server = await startShapeServer(shape);
  try {
    const target = ['--counter-host', '127.0.0.1', '--counter-port', String(server.port)];
    return await runTester(['web', '--n-clients', '2', '--n-calls-per-client', '50', ...target, ...args]);
  } finally {
    await server.close();
  }
}

test('thresholds that hold keep the PASS, and --json lists each with its measure', async (t) => {
  const run = await runWith(CORRECT, ['--max-p99', '1h', '--min-rps', '1', '--max-errors', '0', '--json']);
  t.is(run.code, 0, describeRun(run));
  const result = parseJsonOutput(run);
  t.true(result.passed);
  t.is(result.verdict, 'exact: 100 of 100 increments counted, no duplicates, real-time order kept');
  t.deepEqual(
    result.thresholds.map(({ flag, limit, unit, passed }: Record<string, unknown>) => ({ flag, limit, unit, passed })),
    [
      { flag: '--max-p99', limit: 3_600_000, unit: 'ms', passed: true },
      { flag: '--min-rps', limit: 1, unit: 'requests/s', passed: true },
      { flag: '--max-errors', limit: 0, unit: 'errors', passed: true },
    ],
  );
  t.is(result.thresholds[0].actual, result.latency.p99Us / 1000);
});

test('a p99 above --max-p99 (here 1us) fails the run (exit 1), named in the verdict and in --json', async (t) => {
  const run = await runWith(CORRECT, ['--max-p99', '1us', '--json']);
  t.is(run.code, 1, describeRun(run));
  const result = parseJsonOutput(run);
  t.false(result.passed);
  t.like(result.thresholds[0], { flag: '--max-p99', limit: 0.001, passed: false });
  t.regex(
    result.verdict,
    new RegExp(
      '^exact: 100 of 100 increments counted, no duplicates, real-time order kept; ' +
        'threshold --max-p99 0\\.001 ms exceeded: p99 was [\\d.]+ ms$',
    ),
  );
});

test('RPS under --min-rps fails the run; the text report says FAIL and names it', async (t) => {
  const run = await runWith(CORRECT, ['--min-rps', '1000000000']);
  t.is(run.code, 1, describeRun(run));
  t.regex(
    run.stdout,
    /^Verdict: +FAIL: exact: 100 of 100 .*; threshold --min-rps 1000000000 not reached: [\d.]+ requests\/s$/m,
  );
});

test('more failed calls than --max-errors fails a run that is otherwise correct', async (t) => {
  const shape = { ...CORRECT, failEvery: 10 };
  const lenient = parseJsonOutput(await runWith(shape, ['--max-errors', '10', '--json']));
  t.like(lenient, { passed: true, errors: { http_status: 10 } });
  const run = await runWith(shape, ['--max-errors', '9', '--json']);
  t.is(run.code, 1, describeRun(run));
  const result = parseJsonOutput(run);
  t.like(result, { passed: false, errors: { http_status: 10 } });
  t.like(result.thresholds[0], { flag: '--max-errors', limit: 9, actual: 10, passed: false });
  t.regex(result.verdict, /; threshold --max-errors 9 exceeded: 10 errors$/);
});

test('a malformed threshold is a usage error (exit 2) before any call', async (t) => {
  for (const args of [
    ['--max-p99', 'soon'],
    ['--min-rps', '-5'],
    ['--max-errors', 'many'],
  ]) {
    const run = await runTester([
      'web',
      '--n-clients',
      '1',
      '--counter-host',
      '127.0.0.1',
      '--counter-port',
      '1',
      ...args,
    ]);
    t.is(run.code, 2, describeRun(run));
    t.regex(run.stderr, new RegExp(`^tester: ${args[0]} `), describeRun(run));
  }
});
