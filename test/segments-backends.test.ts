/**
 * Segments of a PostgreSQL and a Hazelcast run: segment 1 resets the backend's counter, the
 * others only count, and the merged count is the whole run's, with the method's promises: exact
 * for a safe method, the loss named and expected for an unsafe one.
 */
import test, { type ExecutionContext } from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTesterProcess } from '../tester/harness/tester-process.js';
import { requireServices } from './helpers/required-service.js';
import { describeRun, parseJsonOutput, runTester } from './helpers/run-tester.js';
import { ROOT } from './helpers/server-process.js';

// A service that does not answer fails, COUNTERS_SKIP_*=1 skips (required-service.ts).
const services = await requireServices(['postgresql', 'hazelcast']);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'segments-backends-'));
test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));

const tag = `segments-backends-${process.pid}`;
/** Objects of this file only: another file's increments must not reach these counts. */
const ENV = {
  POSTGRES_DB: 'counters_test_segments_backends',
  DB_HOST: '127.0.0.1',
  HZ_ATOMIC_LONG_NAME: `${tag}-atomic`,
};
const SEGMENTS = 2;
const CLIENTS = 4;
const CALLS = 50;
const TOTAL = CLIENTS * CALLS;
/** Far enough ahead for both testers to start and connect on a busy host. */
const START_AHEAD_MS = 15_000;

/** The run's segments at once (each saving its history), then `tester merge --json` of their files. */
async function mergedRun(t: ExecutionContext, args: string[]): Promise<Record<string, any>> {
  const startAtMs = Date.now() + START_AHEAD_MS;
  const name = args.join('-');
  const outputs = [1, 2].map((index) => path.join(dir, `${name}-${index}.json`));
  const histories = outputs.map((output) => output.replace(/json$/, 'jsonl'));
  const runs = await Promise.all(
    outputs.map((output, i) =>
      runTesterProcess(
        [
          ...args,
          ...['--n-clients', String(CLIENTS), '--n-calls-per-client', String(CALLS)],
          ...['--segment', `${i + 1}/${SEGMENTS}`, '--start-at', String(startAtMs), '--output', output],
          ...['--history', histories[i]],
        ],
        { cwd: ROOT, env: ENV, timeoutMs: 120_000 },
      ),
    ),
  );
  for (const run of runs) t.is(run.code, 0, describeRun(run));
  const merge = await runTester(['merge', ...outputs, '--json']);
  return { ...parseJsonOutput(merge), histories };
}

services.need('postgresql').serial('postgresql inplace_update in 2 segments: the merged count is exact', async (t) => {
  const merged = await mergedRun(t, ['postgresql', '--method', 'inplace_update']);
  t.like(merged, { counter: 'postgresql/inplace_update', passed: true, totalCalls: TOTAL, initialCount: 0, finalCount: TOTAL });
  t.is(merged.verdict, `exact: ${TOTAL} of ${TOTAL} increments counted`);
  // The histories judged as one run, on the database's clock: read to the microsecond, so the skew is small.
  const check = await runTester(['check', ...merged.histories]);
  t.is(check.code, 0, describeRun(check));
  const skew = /more than ([\d.]+) ms apart \(measured against PostgreSQL's clock_timestamp\(\)\)/.exec(check.stdout);
  t.truthy(skew, check.stdout);
  t.true(Number(skew![1]) < 1000, check.stdout);
  t.regex(check.stdout, new RegExp(`PASS: exact: ${TOTAL} of ${TOTAL} increments counted`));
});

services.need('postgresql').serial('postgresql lost_update in 2 segments: what it loses is named, and expected', async (t) => {
  const merged = await mergedRun(t, ['postgresql', '--method', 'lost_update']);
  t.like(merged, { promisesExact: false, passed: true, totalCalls: TOTAL });
  const lost = TOTAL - merged.finalCount;
  if (lost === 0) t.is(merged.verdict, `exact: ${TOTAL} of ${TOTAL} increments counted`);
  else t.is(merged.verdict, `lost ${lost} of ${TOTAL} acknowledged increments (expected for this method)`);
});

services.need('hazelcast').serial('hazelcast atomic in 2 segments: the merged count is exact', async (t) => {
  const merged = await mergedRun(t, ['hazelcast', '--method', 'atomic']);
  t.like(merged, { counter: 'hazelcast/atomic', passed: true, totalCalls: TOTAL, initialCount: 0, finalCount: TOTAL });
  // Hazelcast has no clock to read: judging the histories together needs the skew said.
  const unsaid = await runTester(['check', ...merged.histories]);
  t.is(unsaid.code, 2, describeRun(unsaid));
  t.regex(unsaid.stderr, /its target has no clock the tester could read: give --clock-skew/);
  const check = await runTester(['check', ...merged.histories, '--clock-skew', '1ms']);
  t.is(check.code, 0, describeRun(check));
});
