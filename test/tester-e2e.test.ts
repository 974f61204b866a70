/**
 * The tester end to end, as a user runs it: against deliberately faulty servers (it must
 * catch each fault), against the real server in every store (it must pass, exactly), the
 * --json schema, and a server that dies mid-run (errors counted per kind, no crash).
 */
import test, { type ExecutionContext } from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { countOf, statusOf } from './helpers/http-probes.js';
import { waitUntil } from '../tester/harness/wait-until.js';
import { storeEnv } from '../tester/harness/store-catalogue.js';
import {
  describeRun,
  type FaultyMode,
  matchReferenceBlock,
  parseJsonOutput,
  runTester,
  startFaultyServer,
  type TesterRun,
} from './helpers/run-tester.js';
import { type ServerEnv, type ServerProcess, startServer } from './helpers/server-process.js';
import { requireServices } from './helpers/required-service.js';

// The tests needing a service: one that does not answer fails, COUNTERS_SKIP_*=1 skips (required-service.ts).
const services = await requireServices(['postgresql']);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'counters-tester-e2e-'));
test.after.always(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** This file's ports: 18610-18650. */
let nextFaultyPort = 18610;
let nextServerPort = 18620;

const target = (port: number) => ['--counter-host', '127.0.0.1', '--counter-port', String(port)];

type Json = Record<string, any>;

/** The documented --json keys and their types. */
const SCHEMA: Record<string, (value: unknown) => boolean> = {
  counter: (v) => typeof v === 'string',
  clientCount: (v) => Number.isInteger(v),
  callsPerClient: (v) => v === null || Number.isInteger(v),
  durationMs: (v) => v === null || typeof v === 'number',
  ratePerSecond: (v) => v === null || typeof v === 'number',
  totalCalls: (v) => Number.isInteger(v),
  attemptedCount: (v) => Number.isInteger(v),
  totalTimeS: (v) => typeof v === 'number' && v > 0,
  rps: (v) => typeof v === 'number' && Number.isFinite(v),
  initialCount: (v) => typeof v === 'number',
  // null only when the counter could not be read after the run.
  finalCount: (v) => v === null || typeof v === 'number',
  latency: (v) => isObject(v),
  errors: (v) => isObject(v),
  errorExamples: (v) => isObject(v),
  retryCount: (v) => Number.isInteger(v),
  promisesExact: (v) => typeof v === 'boolean',
  check: (v) => isObject(v) && 'valid' in v,
  verdict: (v) => typeof v === 'string' && v.length > 0,
  witnesses: (v) => Array.isArray(v) && v.every((line) => typeof line === 'string'),
  passed: (v) => typeof v === 'boolean',
  peakRssMb: (v) => Number.isInteger(v) && (v as number) > 0,
  // Empty without --nemesis.
  nemesisEvents: (v) => Array.isArray(v) && v.length === 0,
  // The tester's threads and the host's CPU over the run (docs/tester.md, JSON result).
  resources: (v) => isObject(v) && Array.isArray(v.threads) && Array.isArray(v.limitedBy),
};
/** Only in --rate runs. */
const RATE_SCHEMA: Record<string, (value: unknown) => boolean> = {
  uncorrectedLatency: (v) => isObject(v),
  pacerLag: (v) => isObject(v),
  rateHeld: (v) => typeof v === 'boolean',
  sentRate: (v) => Number.isInteger(v),
};
const LATENCY_KEYS = ['maxUs', 'meanUs', 'p50Us', 'p90Us', 'p999Us', 'p99Us'];
const ERROR_KINDS = ['refused', 'reset', 'timeout', 'http_status', 'conflict', 'protocol', 'backend'];

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function assertSchema(t: ExecutionContext, json: Json): void {
  const schema = json.ratePerSecond === null ? SCHEMA : { ...SCHEMA, ...RATE_SCHEMA };
  t.deepEqual(Object.keys(json).sort(), Object.keys(schema).sort(), 'exactly the documented keys');
  for (const [key, valid] of Object.entries(schema)) t.true(valid(json[key]), `${key}: ${JSON.stringify(json[key])}`);
  t.deepEqual(Object.keys(json.latency).sort(), LATENCY_KEYS);
  for (const key of LATENCY_KEYS)
    t.true(Number.isFinite(json.latency[key]) && json.latency[key] >= 0, `latency.${key}`);
  t.true(json.latency.p50Us <= json.latency.p90Us && json.latency.p90Us <= json.latency.p99Us);
  t.true(json.latency.p99Us <= json.latency.p999Us && json.latency.p999Us <= json.latency.maxUs);
  for (const [kind, n] of Object.entries(json.errors)) {
    t.true(ERROR_KINDS.includes(kind), `error kind ${kind}`);
    t.true(Number.isInteger(n) && (n as number) > 0, `errors.${kind}`);
    t.is(typeof json.errorExamples[kind], 'string', `errorExamples.${kind}`);
  }
  t.true(['boolean', 'string'].includes(typeof json.check.valid));
  for (const name of ['count', 'unique', 'realTimeOrder', 'range'])
    t.true(isObject(json.check.checks?.[name]), `check.checks.${name}`);
}

/** A clean, exact run of `clients x calls`. */
function assertExact(t: ExecutionContext, run: TesterRun, clients: number, calls: number): Json {
  t.is(run.code, 0, describeRun(run));
  const json = parseJsonOutput(run);
  assertSchema(t, json);
  const total = clients * calls;
  t.like(json, {
    counter: 'web',
    clientCount: clients,
    callsPerClient: calls,
    durationMs: null,
    ratePerSecond: null,
    totalCalls: total,
    attemptedCount: total,
    initialCount: 0,
    finalCount: total,
    errors: {},
    errorExamples: {},
    retryCount: 0,
    promisesExact: true,
    passed: true,
  });
  t.is(json.check.valid, true, json.verdict);
  t.like(json.check.checks.count, { valid: true, mode: 'exact', appliedCount: total, lostCount: 0, extraCount: 0 });
  t.like(json.check.checks.unique, {
    valid: true,
    valuedCount: total,
    duplicateCount: 0,
    minValue: 1,
    maxValue: total,
  });
  t.like(json.check.checks.realTimeOrder, { valid: true, staleCount: 0 });
  t.is(json.verdict, `exact: ${total} of ${total} increments counted, no duplicates, real-time order kept`);
  return json;
}

async function withServer(env: ServerEnv, body: (server: ServerProcess) => Promise<void>): Promise<void> {
  const port = nextServerPort++;
  const server = await startServer({ WORKERS: '2', ...env, PORT: String(port) });
  try {
    await body(server);
  } finally {
    await server.stop();
  }
}

// ---------------------------------------------------------------------------------------
// Faulty servers: the tester must catch every fault

/** One operation in a witness line: `client 3 op 812 [12.301 ms–12.340 ms]`. */
const OP = String.raw`client \d op \d+ \[[\d.]+ ms–[\d.]+ ms\]`;
const FAULTY_RUN = ['web', '--n-clients', '4', '--n-calls-per-client', '500'];

async function runAgainstFaulty(mode: FaultyMode, extra: string[]): Promise<TesterRun> {
  const server = await startFaultyServer(mode, nextFaultyPort++);
  try {
    return await runTester([...FAULTY_RUN, ...target(server.port), ...extra]);
  } finally {
    await server.stop();
  }
}

test.serial('faulty server (lose): exit 1, the verdict says LOST', async (t) => {
  const run = await runAgainstFaulty('lose', []);
  t.is(run.code, 1, describeRun(run));
  t.like(matchReferenceBlock(run.stdout), { totalCalls: 2000, finalCount: '1960' });
  t.regex(run.stdout, /^Verdict: {21}FAIL: LOST 40 of 2000 acknowledged increments/m, run.stdout);
  // Under it, the evidence: the final read with its bounds, up to three duplicates, and the
  // last increment's value, 1961, above the final count.
  const witnesses = witnessLines(run.stdout);
  t.is(witnesses.length, 5, run.stdout);
  t.regex(witnesses[0], /^final read 1960 outside \[2000, 2000\]: tester op \d+ \[[\d.]+ ms–[\d.]+ ms\]$/);
  t.regex(witnesses[4], /^value 1961 outside \[1, 1960\]: client \d op \d+ \[[\d.]+ ms–[\d.]+ ms\]$/);
  for (const line of witnesses.slice(1, 4)) {
    t.regex(line, new RegExp(`^duplicate value \\d+: ${OP} and ${OP}$`));
  }
});

/** The lines under the text report's Verdict line, unindented. */
function witnessLines(stdout: string): string[] {
  const lines = stdout.split('\n');
  const after = lines.slice(lines.findIndex((line) => line.startsWith('Verdict:')) + 1);
  return after
    .slice(
      0,
      after.findIndex((line) => !line.startsWith(' ')),
    )
    .map((line) => line.trim());
}

test.serial('faulty server (lose) --json: passed false, the count check invalid with 40 lost', async (t) => {
  const run = await runAgainstFaulty('lose', ['--json']);
  t.is(run.code, 1, describeRun(run));
  const json = parseJsonOutput(run);
  assertSchema(t, json);
  t.like(json, { passed: false, totalCalls: 2000, finalCount: 1960 });
  t.is(json.check.valid, false);
  t.like(json.check.checks.count, {
    valid: false,
    mode: 'exact',
    acknowledgedCount: 2000,
    lostCount: 40,
    extraCount: 0,
  });
  // An uncounted increment's value is handed out again by the next one: 39, as the 2000th
  // (lost) increment has no successor.
  t.like(json.check.checks.unique, { valid: false, duplicateCount: 39 });
  t.regex(json.verdict, /^LOST 40 of 2000 acknowledged increments/);
});

test.serial('faulty server (stale): exit 1, the verdict names duplicates or stale reads', async (t) => {
  const run = await runAgainstFaulty('stale', []);
  t.is(run.code, 1, describeRun(run));
  t.like(matchReferenceBlock(run.stdout), { totalCalls: 2000, finalCount: '2000' });
  const verdict = /^Verdict: {21}(.*)$/m.exec(run.stdout)?.[1] ?? '';
  t.regex(verdict, /^FAIL: exact: 2000 of 2000 increments counted; /, run.stdout);
  t.regex(verdict, /40 duplicate values/);
  t.regex(verdict, /stale read/);
  t.notRegex(verdict, /LOST/);
  const witnesses = witnessLines(run.stdout);
  t.is(witnesses.filter((line) => line.startsWith('duplicate value ')).length, 3, run.stdout);
  const stale = witnesses.filter((line) => line.startsWith('stale value '));
  t.is(stale.length, 3, run.stdout);
  for (const line of stale)
    t.regex(line, /^stale value \d+: client \d op \d+ \[.+\] began after client \d op \d+ \[.+\] returned \d+$/);
});

test.serial('faulty server (stale) --json: passed false, count valid but uniqueness and order invalid', async (t) => {
  const run = await runAgainstFaulty('stale', ['--json']);
  t.is(run.code, 1, describeRun(run));
  const json = parseJsonOutput(run);
  assertSchema(t, json);
  t.like(json, { passed: false, totalCalls: 2000, finalCount: 2000 });
  t.is(json.check.valid, false);
  t.like(json.check.checks.count, { valid: true, lostCount: 0 });
  t.like(json.check.checks.unique, { valid: false, duplicateCount: 40 });
  t.is(json.check.checks.realTimeOrder.valid, false);
  t.true(json.check.checks.realTimeOrder.staleCount > 0);
});

test.serial('faulty server (duplicate): exit 1, the verdict says EXTRA', async (t) => {
  const run = await runAgainstFaulty('duplicate', ['--json']);
  t.is(run.code, 1, describeRun(run));
  const json = parseJsonOutput(run);
  assertSchema(t, json);
  t.like(json, { passed: false, totalCalls: 2000, finalCount: 2040 });
  t.like(json.check.checks.count, { valid: false, lostCount: 0, extraCount: 40 });
  t.is(json.verdict.split(';')[0], 'EXTRA 40 increments counted beyond the 2000 attempted');
});

test.serial('a correct server on the same fixture passes (the faults above are what the tester caught)', async (t) => {
  assertExact(t, await runAgainstFaulty('ok', ['--json']), 4, 500);
});

// ---------------------------------------------------------------------------------------
// The real server, every store

const STORES: Array<{ title: string; env: ServerEnv }> = [
  { title: 'shared memory (flock)', env: storeEnv('shared_memory_flock') },
  { title: 'shared memory (atomic)', env: storeEnv('shared_memory_atomic') },
  { title: 'disk', env: storeEnv('disk', path.join(tmp, 'counter.txt')) },
  { title: 'postgresql', env: { ...storeEnv('postgresql'), POSTGRES_DB: 'counters_test_tester' } },
];

for (const store of STORES) {
  services.forStore(store.env).serial(`real server, ${store.title}: 10 clients x 500 pass exactly`, async (t) => {
    await withServer(store.env, async (server) => {
      const run = await runTester([
        'web',
        '--n-clients',
        '10',
        '--n-calls-per-client',
        '500',
        '--json',
        ...target(server.port),
      ]);
      assertExact(t, run, 10, 500);
    });
  });
}

const SHM_ATOMIC = STORES[1].env;

test.serial('real server: the text report starts with the reference block and passes', async (t) => {
  await withServer(SHM_ATOMIC, async (server) => {
    const run = await runTester([
      '--counter-type',
      'web',
      '--n-clients',
      '10',
      '--n-calls-per-client',
      '500',
      ...target(server.port),
    ]);
    t.is(run.code, 0, describeRun(run));
    const block = matchReferenceBlock(run.stdout);
    t.like(block, { clientCount: 10, callsPerClient: '500', totalCalls: 5000, finalCount: '5000' });
    // Both printed to two decimals: the RPS is the calls over the time, not any positive number.
    t.true(block.totalTimeS > 0, `time ${block.totalTimeS} s`);
    const [fastest, slowest] = [5000 / (block.totalTimeS - 0.005), 5000 / (block.totalTimeS + 0.005)];
    t.true(
      block.rps >= slowest - 0.005 && block.rps <= fastest + 0.005,
      `rps ${block.rps} = 5000 / ${block.totalTimeS} s`,
    );
    t.regex(run.stdout, /^Counter: {21}web$/m);
    t.regex(run.stdout, /^Errors: {22}none$/m);
    t.regex(run.stdout, /^Verdict: {21}PASS: exact: 5000 of 5000 increments counted/m);
    t.is(run.stderr, '', 'no progress bar when stderr is not a TTY');
  });
});

test.serial(
  'real server: --client-threads 2 gives the same exact result, with or without --warmup',
  async (t) => {
    await withServer(SHM_ATOMIC, async (server) => {
      const run = await runTester([
        'web',
        '--n-clients',
        '10',
        '--n-calls-per-client',
        '500',
        '--client-threads',
        '2',
        '--json',
        ...target(server.port),
      ]);
      assertExact(t, run, 10, 500);

      // With a warmup first, the run is judged from the count the warmup left.
      const warm = await runTester([
        'web',
        '--n-clients',
        '4',
        '--n-calls-per-client',
        '100',
        '--client-threads',
        '2',
        '--warmup',
        '300ms',
        '--json',
        ...target(server.port),
      ]);
      t.is(warm.code, 0, describeRun(warm));
      const json = parseJsonOutput(warm);
      assertSchema(t, json);
      t.true(json.initialCount > 0, 'the warmup incremented the counter');
      t.like(json, { totalCalls: 400, finalCount: json.initialCount + 400, passed: true });
      t.is(json.check.valid, true, json.verdict);
    });
  },
);

test.serial('real server: --duration 1s runs for a second', async (t) => {
  await withServer(SHM_ATOMIC, async (server) => {
    const run = await runTester(['web', '--n-clients', '4', '--duration', '1s', '--json', ...target(server.port)]);
    t.is(run.code, 0, describeRun(run));
    const json = parseJsonOutput(run);
    assertSchema(t, json);
    t.like(json, { callsPerClient: null, durationMs: 1000, ratePerSecond: null, passed: true, errors: {} });
    t.true(json.totalCalls > 0);
    t.is(json.finalCount, json.totalCalls);
    t.true(json.totalTimeS >= 1 && json.totalTimeS < 5, `totalTimeS ${json.totalTimeS}`);
    t.is(json.check.valid, true, json.verdict);
  });
});

test.serial('real server: --rate 2000 --duration 1s holds the rate', async (t) => {
  await withServer(SHM_ATOMIC, async (server) => {
    const run = await runTester([
      'web',
      '--n-clients',
      '10',
      '--rate',
      '2000',
      '--duration',
      '1s',
      '--json',
      ...target(server.port),
    ]);
    t.is(run.code, 0, describeRun(run));
    const json = parseJsonOutput(run);
    assertSchema(t, json);
    t.like(json, { callsPerClient: null, durationMs: 1000, ratePerSecond: 2000, passed: true });
    t.true(json.rps <= 2500, `rps ${json.rps}`);
    t.true(json.rps >= 1000, `rps ${json.rps}`);
    t.true(json.totalCalls <= 2600, `totalCalls ${json.totalCalls}`);
    t.is(json.finalCount, json.totalCalls);
  });
});

test.serial('real server: --output FILE writes the same JSON as --json prints', async (t) => {
  await withServer(SHM_ATOMIC, async (server) => {
    const file = path.join(tmp, 'result.json');
    const run = await runTester([
      'web',
      '--n-clients',
      '2',
      '--n-calls-per-client',
      '50',
      '--json',
      '--output',
      file,
      ...target(server.port),
    ]);
    const printed = assertExact(t, run, 2, 50);
    t.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), printed);

    // Without --json the text report goes to stdout and the file still gets the JSON.
    const textFile = path.join(tmp, 'result-text.json');
    const textRun = await runTester([
      'web',
      '--n-clients',
      '2',
      '--n-calls-per-client',
      '50',
      '--output',
      textFile,
      ...target(server.port),
    ]);
    t.is(textRun.code, 0, describeRun(textRun));
    t.like(matchReferenceBlock(textRun.stdout), { totalCalls: 100, finalCount: '100' });
    const written = JSON.parse(fs.readFileSync(textFile, 'utf8')) as Json;
    assertSchema(t, written);
    t.like(written, { totalCalls: 100, finalCount: 100, passed: true });
  });
});

// ---------------------------------------------------------------------------------------
// A server that dies mid-run: errors counted per kind, never a crash

test.serial('the server dies mid-run: the tester finishes, counts errors per kind, and does not crash', async (t) => {
  const port = nextServerPort++;
  const server = await startServer({ ...SHM_ATOMIC, PORT: String(port) });
  let stopped = false;
  try {
    // A shared memory segment outlives servers: from 0, a count above it is this run's calls.
    t.is(await statusOf(port, 'POST', '/reset'), 200);
    const running = runTester(
      ['web', '--n-clients', '4', '--duration', '3s', '--timeout-ms', '1000', '--json', ...target(port)],
      {
        timeoutMs: 30_000,
      },
    );
    t.true(await waitUntil(async () => ((await countOf(port)) ?? 0) > 0, 20_000, 20), 'calls succeeded first');
    await server.stop();
    stopped = true;
    const run = await running;
    const why = describeRun(run);
    t.is(run.code, 1, `an unknown final count fails the run\n${why}`);
    t.is(run.signal, null, why);
    t.notRegex(run.stderr, /^\s+at /m, `no stack trace\n${why}`);
    const json = parseJsonOutput(run);
    assertSchema(t, json);
    t.like(json, { durationMs: 1000 * 3, callsPerClient: null });
    t.true(json.totalCalls > 0, 'calls succeeded before the server died');
    const kinds = Object.keys(json.errors);
    t.true(kinds.includes('refused') || kinds.includes('reset'), `errors: ${JSON.stringify(json.errors)}`);
    t.is(json.attemptedCount, json.check.opCount);
    t.is(json.check.okCount + json.check.failedCount + json.check.indeterminateCount, json.check.opCount);
    const errorTotal = Object.values(json.errors as Record<string, number>).reduce((sum, n) => sum + n, 0);
    t.is(
      errorTotal,
      json.check.failedCount + json.check.indeterminateCount,
      'every failed call is counted once, by kind',
    );
    // The count can no longer be read: the count check cannot decide, and says so.
    t.is(json.finalCount, null);
    t.is(json.check.checks.count.valid, 'unknown');
    if (json.check.indeterminateCount > 0) t.is(json.check.checks.count.mode, 'bounds');
    t.regex(json.verdict, /final count unknown/);
    t.false(json.passed);
  } finally {
    if (!stopped) await server.stop();
  }
});

test.serial('the server dies mid-run: the text report still prints the reference block', async (t) => {
  const port = nextServerPort++;
  const server = await startServer({ ...SHM_ATOMIC, PORT: String(port) });
  let stopped = false;
  try {
    // A shared memory segment outlives servers: from 0, a count above it is this run's calls.
    t.is(await statusOf(port, 'POST', '/reset'), 200);
    const running = runTester(
      ['web', '--n-clients', '2', '--duration', '2s', '--timeout-ms', '1000', ...target(port)],
      { timeoutMs: 30_000 },
    );
    t.true(await waitUntil(async () => ((await countOf(port)) ?? 0) > 0, 20_000, 20), 'calls succeeded first');
    await server.stop();
    stopped = true;
    const run = await running;
    t.is(run.code, 1, `an unknown final count fails the run\n${describeRun(run)}`);
    t.notRegex(run.stderr, /^\s+at /m);
    const block = matchReferenceBlock(run.stdout);
    t.regex(block.finalCount, /^unknown/);
    t.regex(run.stdout, /^Errors: {22}.*(refused|reset) \d+/m);
    t.regex(run.stdout, /^Verdict: {21}FAIL: final count unknown/m);
  } finally {
    if (!stopped) await server.stop();
  }
});
