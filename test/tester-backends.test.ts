/**
 * `tester postgresql` and `tester hazelcast` end to end for every method, as a user runs them,
 * and `compare` over their suites: exit code, verdict text, retries reaching the counter. Runs
 * stay small (4 clients x 25 calls) so the file stays fast. Port 18760 (compare's web servers).
 */
import test, { type ExecutionContext } from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HAZELCAST_METHODS } from '../counters/hazelcast/method.js';
import { POSTGRES_METHODS } from '../counters/postgresql/methods.js';
import { WEB_STORES } from '../tester/compare/scenarios.js';
import { describeRun, parseJsonOutput, runTester, stderrLines, type TesterRun } from './helpers/run-tester.js';
import { requireServices } from './helpers/required-service.js';

// The tests needing a service: one that does not answer fails, COUNTERS_SKIP_*=1 skips (required-service.ts).
const services = await requireServices(['postgresql', 'hazelcast']);
const pg = services.need('postgresql');
const hz = services.need('hazelcast');

const COMPARE_PORT = 18760;
const PG_ENV = { POSTGRES_DB: 'counters_test_tester_backends', DB_HOST: '127.0.0.1' };
const tag = `tester-backends-${process.pid}`;
/** Objects of this file only: a colleague's run on the default names cannot disturb the counts. */
const HZ_ENV = {
  HZ_MAP_NAME: `${tag}-map`,
  HZ_ATOMIC_LONG_NAME: `${tag}-atomic`,
  HZ_PN_COUNTER_NAME: `${tag}-pn`,
  HZ_FENCED_LOCK_NAME: `${tag}-lock`,
};
const ENV = { ...PG_ENV, ...HZ_ENV };

const CLIENTS = 4;
const CALLS = 25;
const TOTAL = CLIENTS * CALLS;
const SMALL_RUN = ['--n-clients', String(CLIENTS), '--n-calls-per-client', String(CALLS)];
const EXACT = `exact: ${TOTAL} of ${TOTAL} increments counted, no duplicates, real-time order kept`;

type Json = Record<string, any>;

async function runJson(t: ExecutionContext, args: string[], env: Record<string, string> = ENV): Promise<Json> {
  const run = await runTester([...args, ...SMALL_RUN, '--json'], { env });
  t.is(run.code, 0, describeRun(run));
  t.deepEqual(stderrLines(run), [], 'nothing on stderr');
  const json = parseJsonOutput(run);
  t.log(`${json.counter}: ${json.verdict}; errors ${JSON.stringify(json.errors)}, ${json.retryCount} retries`);
  t.like(json, { clientCount: CLIENTS, callsPerClient: CALLS, attemptedCount: TOTAL, initialCount: 0, passed: true });
  return json;
}

/** A method that promises an exact, linearizable count: every increment counted once, in order. */
function assertExact(t: ExecutionContext, json: Json): void {
  t.like(json, { promisesExact: true, totalCalls: TOTAL, finalCount: TOTAL, errors: {} });
  t.is(json.check.valid, true, json.verdict);
  t.is(json.verdict, EXACT);
}

/** lost_update and no_lock: exit 0 whatever they lose, and the verdict says the loss is expected. */
function assertUnsafe(t: ExecutionContext, json: Json): void {
  t.like(json, { promisesExact: false, totalCalls: TOTAL, errors: {} });
  t.true(json.finalCount >= 1 && json.finalCount <= TOTAL, `final ${json.finalCount}`);
  const lost = TOTAL - json.finalCount;
  if (lost === 0) t.is(json.verdict, EXACT);
  else t.true(json.verdict.startsWith(`lost ${lost} of ${TOTAL} acknowledged increments (expected for this method)`));
}

// ---------------------------------------------------------------------------------------
// tester postgresql

for (const method of POSTGRES_METHODS) {
  pg.serial(`tester postgresql --method ${method}: exit 0 and the method's verdict`, async (t) => {
    const json = await runJson(t, ['postgresql', '--method', method]);
    t.is(json.counter, `postgresql/${method}`);
    if (method === 'lost_update') return assertUnsafe(t, json);
    if (method === 'sharded') {
      // Each shard returns only its own slot's value: the count is judged, values are not.
      t.like(json, { totalCalls: TOTAL, finalCount: TOTAL, errors: {} });
      const unchecked = 'no values returned (uniqueness and order not checked)';
      t.is(json.verdict, `exact: ${TOTAL} of ${TOTAL} increments counted; ${unchecked}`);
      return;
    }
    if (method === 'serializable_update') {
      // Without --do-retries the losers of each conflict fail, and only the winners are counted.
      const failed = TOTAL - json.totalCalls;
      t.true(failed > 0, `${CLIENTS} clients on one row must conflict under SERIALIZABLE`);
      t.like(json, { finalCount: json.totalCalls, errors: { conflict: failed }, retryCount: 0 });
      const counted = `${json.totalCalls} of ${json.totalCalls} increments counted (${failed} failed)`;
      t.is(json.verdict, `exact: ${counted}, no duplicates, real-time order kept`);
      return;
    }
    assertExact(t, json);
  });
}

pg.serial('tester postgresql --do-retries True reaches the counter: conflicts are retried, none fails', async (t) => {
  const json = await runJson(t, ['postgresql', '--method', 'serializable_update', '--do-retries', 'True']);
  assertExact(t, json);
  t.true(json.retryCount > 0, 'the conflicts were retried');
});

pg.serial('tester postgresql, text report: the PASS verdict line and exit 0', async (t) => {
  const run = await runTester(['postgresql', '--method', 'row_level_locking', ...SMALL_RUN], { env: ENV });
  t.is(run.code, 0, describeRun(run));
  t.regex(run.stdout, /^Counter: {21}postgresql\/row_level_locking$/m);
  t.regex(run.stdout, new RegExp(`^Verdict: {21}PASS: ${EXACT}$`, 'm'));
});

test('tester postgresql against no server: exit 3 in one line', async (t) => {
  const run = await runTester(['postgresql', ...SMALL_RUN], { env: { ...ENV, DB_PORT: '1' } });
  t.is(run.code, 3, describeRun(run));
  t.is(run.stdout, '');
  const lines = stderrLines(run);
  t.is(lines.length, 1, run.stderr);
  t.regex(lines[0], /cannot connect to PostgreSQL at 127\.0\.0\.1:1/);
});

// ---------------------------------------------------------------------------------------
// tester hazelcast

for (const method of HAZELCAST_METHODS) {
  hz.serial(`tester hazelcast --method ${method}: exit 0 and the method's verdict`, async (t) => {
    const json = await runJson(t, ['hazelcast', '--method', method]);
    t.is(json.counter, `hazelcast/${method}`);
    if (method === 'no_lock') return assertUnsafe(t, json);
    if (method === 'pn_counter') {
      // Exact once the replicas converge; replicas answer with their own view, so values may repeat.
      t.like(json, { promisesExact: true, totalCalls: TOTAL, finalCount: TOTAL, errors: {} });
      t.regex(json.verdict, new RegExp(`^exact: ${TOTAL} of ${TOTAL} increments counted[,;]`));
      t.notRegex(json.verdict, /LOST|EXTRA|out of range/);
      return;
    }
    assertExact(t, json);
  });
}

test('tester hazelcast against no cluster: exit 3 in one line', async (t) => {
  const env = { ...ENV, HZ_CLUSTER_MEMBERS: '127.0.0.1:5799', HZ_CONNECT_TIMEOUT_MS: '1000' };
  const run = await runTester(['hazelcast', ...SMALL_RUN], { env });
  t.is(run.code, 3, describeRun(run));
  const lines = stderrLines(run);
  t.is(lines.length, 1, run.stderr);
  t.regex(lines[0], /cannot connect to Hazelcast cluster "dev" at 127\.0\.0\.1:5799/);
});

// ---------------------------------------------------------------------------------------
// compare over the backend suites

interface Row {
  suite: string;
  scenario: string;
  clients: number;
  passed: boolean;
  verdict: string;
  /** One per round. */
  results: Array<{
    totalCalls: number;
    initialCount: number;
    finalCount: number | null;
    promisesExact: boolean;
    verdict: string;
  }>;
}

async function compare(t: ExecutionContext, suite: string): Promise<Row[]> {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), `compare-${suite}-`));
  t.teardown(() => fs.rmSync(outDir, { recursive: true, force: true }));
  // One round: these tests are about which scenarios run and how they are judged, not their speed.
  const args = ['compare', '--suite', suite, '--clients', '2', '--calls', '10', '--rounds', '1', '--port', String(COMPARE_PORT)];
  args.push('--out', outDir);
  const run: TesterRun = await runTester(args, { env: ENV, timeoutMs: 150_000 });
  t.is(run.code, 0, describeRun(run));
  const { rows } = JSON.parse(fs.readFileSync(path.join(outDir, 'comparison.json'), 'utf8')) as { rows: Row[] };
  t.is(run.stdout, fs.readFileSync(path.join(outDir, 'comparison.md'), 'utf8'), 'stdout is the Markdown table');
  for (const row of rows) {
    const [result] = row.results;
    const why = `${row.suite} ${row.scenario}: ${row.verdict} ${result?.verdict ?? ''}`;
    t.true(row.passed, why);
    t.is(row.clients, 2, why);
    t.is(row.results.length, 1, why);
    t.like(result, { totalCalls: 20 }, why);
    // Unsafe methods pass whatever they lose; every other method counts all 20 exactly (after its warm-up's).
    const counted = result.finalCount! - result.initialCount;
    if (result.promisesExact) t.like({ verdict: row.verdict, counted }, { verdict: 'PASS', counted: 20 }, why);
    else t.true(counted <= 20, why);
  }
  return rows;
}

const scenarios = (rows: Row[]) => rows.map((row) => `${row.suite} ${row.scenario}`);

pg.serial('compare --suite postgresql runs every PostgreSQL method', async (t) => {
  t.deepEqual(scenarios(await compare(t, 'postgresql')), POSTGRES_METHODS.map((method) => `postgresql ${method}`));
});

hz.serial('compare --suite hazelcast runs every Hazelcast method', async (t) => {
  t.deepEqual(scenarios(await compare(t, 'hazelcast')), HAZELCAST_METHODS.map((method) => `hazelcast ${method}`));
});

services.need('postgresql', 'hazelcast').serial('compare --suite all runs the web stores, then PostgreSQL, then Hazelcast', async (t) => {
  const rows = await compare(t, 'all');
  t.deepEqual(scenarios(rows), [
    ...WEB_STORES.map((store) => `web ${store}`),
    ...POSTGRES_METHODS.map((method) => `postgresql ${method}`),
    ...HAZELCAST_METHODS.map((method) => `hazelcast ${method}`),
  ]);
});
