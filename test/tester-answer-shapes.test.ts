/**
 * The tester against counter services it did not write: real HTTP servers answering in each
 * shape a user's counter may use. A valid shape PASSes; an answer that cannot be a count
 * FAILs naming the body; a server that is not a counter gets one line saying so.
 */
import test, { type ExecutionContext } from 'ava';
import { type AnswerShape, startShapeServer } from './helpers/shape-server.js';
import { describeRun, parseJsonOutput, runTester, stderrLines, type TesterRun } from './helpers/run-tester.js';

const CLIENTS = 4;
const CALLS = 50;
const TOTAL = CLIENTS * CALLS;
const countOf = (n: number) => JSON.stringify({ count: n });

/** Runs `npx tester web` against a server answering in `shape`, with --json unless told otherwise. */
async function testAgainst(shape: AnswerShape, extraArgs: string[] = [], json = true): Promise<TesterRun> {
  const server = await startShapeServer(shape);
  try {
    const args = [
      'web',
      '--n-clients',
      String(CLIENTS),
      '--n-calls-per-client',
      String(CALLS),
      '--counter-host',
      '127.0.0.1',
    ];
    return await runTester([...args, '--counter-port', String(server.port), ...(json ? ['--json'] : []), ...extraArgs]);
  } finally {
    await server.close();
  }
}

function assertPassedWithValues(t: ExecutionContext, run: TesterRun): void {
  t.is(run.code, 0, describeRun(run));
  const result = parseJsonOutput(run);
  t.like(result, { passed: true, totalCalls: TOTAL, finalCount: TOTAL, errors: {} });
  t.is(result.verdict, `exact: ${TOTAL} of ${TOTAL} increments counted, no duplicates, real-time order kept`);
}

const VALUED_SHAPES: Array<{ title: string; shape: AnswerShape; args?: string[] }> = [
  { title: '{"value":N}', shape: { inc: (n) => `{"value":${n}}`, read: (n) => `{"value":${n}}` } },
  { title: 'a bare integer', shape: { inc: String, read: String } },
  {
    title: '{"total":N} with --count-field total',
    shape: { inc: (n) => `{"ok":true,"total":${n}}`, read: (n) => `{"total":${n}}` },
    args: ['--count-field', 'total'],
  },
  { title: 'an exponent, {"count":1.2345e+4}', shape: { inc: (n) => `{"count":${n.toExponential()}}`, read: countOf } },
  { title: 'chunked answers', shape: { inc: countOf, read: countOf, framing: 'chunked' } },
  {
    title: 'Connection: close (one answer per connection)',
    shape: { inc: countOf, read: countOf, framing: 'length-then-close' },
  },
  {
    title: 'no length, the close ending the body (HTTP/1.0 style)',
    shape: { inc: countOf, read: countOf, framing: 'until-close' },
  },
];

for (const { title, shape, args } of VALUED_SHAPES) {
  test(`a counter answering ${title} PASSes with every value checked`, async (t) => {
    assertPassedWithValues(t, await testAgainst(shape, args));
  });
}

const VALUELESS_SHAPES: Array<{ title: string; body: string }> = [
  { title: '{"status":"ok"}', body: '{"status":"ok"}' },
  { title: 'null', body: 'null' },
  { title: 'an empty body', body: '' },
];

for (const { title, body } of VALUELESS_SHAPES) {
  test(`a counter whose /inc and /reset answer ${title} is judged on its final count and PASSes`, async (t) => {
    const run = await testAgainst({ inc: () => body, read: countOf, reset: body });
    t.is(run.code, 0, describeRun(run));
    const result = parseJsonOutput(run);
    t.like(result, { passed: true, totalCalls: TOTAL, finalCount: TOTAL, errors: {} });
    t.is(
      result.verdict,
      `exact: ${TOTAL} of ${TOTAL} increments counted; no values returned (uniqueness and order not checked)`,
    );
  });
}

test('a counter without values that loses increments still FAILs on its count', async (t) => {
  const run = await testAgainst({
    inc: () => '{"status":"ok"}',
    read: countOf,
    reset: '{"status":"ok"}',
    loseEvery: 10,
  });
  t.is(run.code, 1, describeRun(run));
  const result = parseJsonOutput(run);
  t.like(result, { passed: false, totalCalls: TOTAL, finalCount: TOTAL - TOTAL / 10 });
  t.regex(result.verdict, new RegExp(`^LOST ${TOTAL / 10} of ${TOTAL} acknowledged increments`));
});

test('a float count {"count":N.5} is not read as N: the run FAILs naming the body', async (t) => {
  const run = await testAgainst({ inc: (n) => `{"count":${n}.5}`, read: countOf });
  t.is(run.code, 1, describeRun(run));
  const result = parseJsonOutput(run);
  t.false(result.passed);
  t.is(result.errors.protocol, TOTAL);
  t.regex(result.verdict, new RegExp(`UNREADABLE: ${TOTAL} answers could not be read`));
  t.regex(
    result.errorExamples.protocol,
    /^127\.0\.0\.1:\d+ POST \/inc: count \d+\.5 is not a whole number .*"\{\\"count\\":\d+\.5\}"/,
  );
});

test('the text report names the unreadable answers and the first one', async (t) => {
  const run = await testAgainst({ inc: (n) => `{"count":${n}.5}`, read: countOf }, [], false);
  t.is(run.code, 1, describeRun(run));
  t.regex(run.stdout, /^Verdict: +FAIL: .*UNREADABLE/m);
  t.regex(run.stdout, /^ {2}first protocol: +127\.0\.0\.1:\d+ POST \/inc: count 1\.5 is not a whole number/m);
});

/** An expected failure before the run: exit 3, one line on stderr, nothing on stdout, no stack. */
function assertOneLine(t: ExecutionContext, run: TesterRun, message: RegExp): void {
  t.is(run.code, 3, describeRun(run));
  const lines = stderrLines(run);
  t.is(lines.length, 1, describeRun(run));
  t.regex(lines[0] ?? '', message, describeRun(run));
  t.is(run.stdout, '');
}

for (const status of [501, 404]) {
  const title =
    `a server that is not a counter (${status}) gets one line naming ` +
    'host, port, method, path, status and a hint';
  test(title, async (t) => {
    const run = await testAgainst({ inc: countOf, read: countOf, status });
    const hint = 'is it a counter server\\? .*POST /inc.*GET /count';
    assertOneLine(t, run, new RegExp(`^tester: 127\\.0\\.0\\.1:\\d+ POST /reset answered status ${status}: ${hint}`));
  });
}

test('a server failing mid-run (503) is reported per call without the not-a-counter hint', async (t) => {
  const run = await testAgainst({ inc: countOf, read: countOf, failEvery: 20 });
  t.is(run.code, 0, describeRun(run));
  const result = parseJsonOutput(run);
  t.like(result, { passed: true, errors: { http_status: TOTAL / 20 } });
  t.regex(result.errorExamples.http_status, /^127\.0\.0\.1:\d+ POST \/inc answered status 503$/);
});

const NO_COUNT_FIELD =
  'a custom field without --count-field: one line saying the read had no count and naming --count-field';
test(NO_COUNT_FIELD, async (t) => {
  const run = await testAgainst({ inc: (n) => `{"total":${n}}`, read: (n) => `{"total":${n}}` });
  assertOneLine(
    t,
    run,
    /^tester: 127\.0\.0\.1:\d+ GET \/count answered without a count, "\{\\"total\\":0\}": .*--count-field/,
  );
});
