/**
 * README (PostgreSQL counter): "Retries are bounded: PG_MAX_RETRIES (default 50), backoff
 * PG_RETRY_BASE_MS/PG_RETRY_CAP_MS", a full-jitter wait in [0, min(cap, base * 2^retry)) before
 * each retry. A trigger in a database of the test's own makes every optimistic_concurrency_control
 * write find its version changed (a BEFORE UPDATE trigger that skips the row), so each call retries
 * PG_MAX_RETRIES times and fails as a conflict; how long each call took comes from its history.
 * Database counters_test_retry_backoff.
 */
import test, { type ExecutionContext } from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PgConnection, readPostgresConfig } from '../backends/postgresql/connection.js';
import { ensureDatabase } from '../backends/postgresql/prepare-database.js';
import { describeRun, parseJsonOutput, runTester } from './helpers/run-tester.js';
import { postgresTest } from './helpers/required-service.js';

const { serial } = await postgresTest();
const DB = 'counters_test_retry_backoff';
const CLIENTS = 2;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'counters-retry-backoff-'));
test.after.always(() => fs.rmSync(tmp, { recursive: true, force: true }));

const OCC = ['postgresql', '--method', 'optimistic_concurrency_control'];
const ENV = { POSTGRES_DB: DB, PG_RETRY_BASE_MS: '', PG_RETRY_CAP_MS: '', PG_MAX_RETRIES: '' };

/** The tester's tables (made by a first run, which passes), then the trigger that refuses every increment. */
async function refuseIncrements(): Promise<void> {
  const config = { ...readPostgresConfig(process.env), database: DB };
  await ensureDatabase(config);
  const admin = await PgConnection.open(config);
  try {
    // A trigger left by an earlier run would fail the first run (a missing table is skipped).
    await admin.query('DROP TRIGGER IF EXISTS refuse_increments ON user_counter');
    const made = await runTester([...OCC, '--n-clients', '1', '--n-calls-per-client', '1'], { env: ENV });
    if (made.code !== 0) throw new Error(`the first run failed: ${describeRun(made)}`);
    // An increment bumps the version; the tester's reset sets it to 0 and goes through.
    await admin.query(`
      CREATE OR REPLACE FUNCTION counters_skip_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
      CREATE TRIGGER refuse_increments BEFORE UPDATE ON user_counter FOR EACH ROW
        WHEN (NEW.version = OLD.version + 1) EXECUTE FUNCTION counters_skip_row()`);
  } finally {
    await admin.close();
  }
}

/** Each call's duration in ms (from its history), with the run's JSON; every call must fail as a conflict. */
async function conflictRun(
  t: ExecutionContext,
  name: string,
  env: Record<string, string>,
): Promise<number[]> {
  const history = path.join(tmp, `${name}.jsonl`);
  const args = [...OCC, '--n-clients', String(CLIENTS), '--n-calls-per-client', '1', '--json', '--history', history];
  const run = await runTester(args, { env: { ...ENV, ...env }, timeoutMs: 120_000 });
  t.is(run.code, 1, `every call failed: exit 1\n${describeRun(run)}`);
  const result = parseJsonOutput(run);
  const retries = Number(env.PG_MAX_RETRIES);
  t.deepEqual(result.errors, { conflict: CLIENTS });
  t.is(result.retryCount, CLIENTS * retries, 'PG_MAX_RETRIES retries per call');
  t.regex(result.errorExamples.conflict, new RegExp(`gave up after ${retries} retries \\(version changed under us\\)`));
  const events = fs
    .readFileSync(history, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { process: unknown; type: string; f: string; time: number });
  const calls = events.filter((event) => event.f === 'inc' && typeof event.process === 'number');
  return Array.from({ length: CLIENTS }, (_, client) => {
    const invoke = calls.find((event) => event.process === client && event.type === 'invoke')!;
    const fail = calls.find((event) => event.process === client && event.type === 'fail')!;
    return (fail.time - invoke.time) / 1e6;
  });
}

serial('PG_RETRY_BASE_MS and PG_RETRY_CAP_MS set the wait before each retry', async (t) => {
  await refuseIncrements();

  // base = cap = 1000: twelve waits, each uniform in [0, 1000) ms, about 6 s in all. Below 1.5 s
  // has a chance of 3e-7; the defaults (1 and 100 ms) wait at most 627 ms for twelve retries.
  const wide = await conflictRun(t, 'wide', { PG_MAX_RETRIES: '12', PG_RETRY_BASE_MS: '1000', PG_RETRY_CAP_MS: '1000' });
  t.log(`base = cap = 1000 ms, 12 retries: calls took ${wide.map(Math.round).join(', ')} ms`);
  for (const ms of wide) t.true(ms >= 1500, `the base widens every wait: ${ms} ms`);

  // base = cap = 10: fourteen waits under 10 ms each. Without the cap they would double up to
  // 82 s on average; with it, the statements dominate.
  const capped = await conflictRun(t, 'capped', { PG_MAX_RETRIES: '14', PG_RETRY_BASE_MS: '10', PG_RETRY_CAP_MS: '10' });
  t.log(`base = cap = 10 ms, 14 retries: calls took ${capped.map(Math.round).join(', ')} ms`);
  for (const ms of capped) t.true(ms < 10_000, `the cap stops the doubling: ${ms} ms`);
});
