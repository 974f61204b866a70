/**
 * The PostgreSQL native engine (native/pg-loader/, counters/postgresql/native-engine.ts) keeps
 * every method's promise of the JS engine, on the real PostgreSQL: exact counts where promised,
 * lost updates for lost_update, retries counted, errors one line of the same words and kinds; and
 * a backend killed mid-run ends its call with an error, counted, while the run goes on and ends.
 */
import test from 'ava';
import fs from 'node:fs';
import { type CounterError, type EngineCalls } from '../counters/counter.js';
import type { Env } from '../backends/env.js';
import { PgConnection, readPostgresConfig } from '../backends/postgresql/connection.js';
import {
  type PostgresMethod,
  postgresqlCounterFactory,
  type PostgresqlCounterOptions,
} from '../counters/postgresql/postgresql-counter.js';
import { COUNTER_LOCK_CLASS } from '../counters/postgresql/schema.js';
import { loadPgLoader } from '../native/pg-loader.js';
import { monotonicUs } from '../tester/check/history.js';
import { waitUntil } from '../tester/harness/wait-until.js';
import { postgresTest } from './helpers/required-service.js';
import { TcpRelay } from './helpers/tcp-relay.js';
import { freePort } from '../tester/harness/free-port.js';
import { runEngine } from './helpers/run-engine.js';
import { runThreads } from './helpers/run-tester.js';

const ENV: Env = { ...process.env, DB_HOST: process.env.DB_HOST || '127.0.0.1' };
const CONFIG = readPostgresConfig(ENV);
// Serial: each run holds 10 connections, and the server has max_connections for every test file.
const { serial: pgSerial } = await postgresTest({ postgresEnv: ENV });

// Apart from every other file's users (postgresql-counter takes 7,000,000 up): files run two at a time on one table.
let nextUser = 8_000_000 + Math.floor(Math.random() * 1000) * 100;
const user = () => nextUser++;

/** `clients` clients of the native engine, `calls` increments each, from a reset; `during` runs alongside. */
function runPgEngine(options: PostgresqlCounterOptions, clients: number, calls: number, during?: () => Promise<void>) {
  return runEngine(postgresqlCounterFactory({ env: ENV, ...options, engine: 'native' }), clients, calls, during);
}

test('the addon is built and names its codes', (t) => {
  const native = loadPgLoader();
  if (typeof native === 'string') return t.fail(native);
  t.deepEqual([...native.failureNames], ['statement', 'gaveUp', 'missingRow', 'connect', 'noAnswer']);
});

const EXACT: Array<{ method: PostgresMethod; doRetries?: boolean }> = [
  { method: 'inplace_update' },
  { method: 'row_level_locking' },
  { method: 'optimistic_concurrency_control' },
  { method: 'serializable_update', doRetries: true },
  { method: 'advisory_lock' },
  { method: 'sharded' },
];

for (const { method, doRetries } of EXACT) {
  pgSerial(`native ${method}${doRetries ? ' with retries' : ''}: 10 clients x 100 count exactly`, async (t) => {
    const factory = postgresqlCounterFactory({ method });
    const run = await runPgEngine({ method, doRetries, userId: user() }, 10, 100);
    t.deepEqual(
      run.errors.map((err) => err.message),
      [],
    );
    t.is(run.okCount, 1000);
    t.is(run.final, 1000);
    if (factory.linearizable) {
      t.is(new Set(run.values).size, 1000, 'every increment returned its own value');
      t.is(Math.min(...run.values), 1);
      t.is(Math.max(...run.values), 1000);
    } else {
      t.deepEqual(run.values, [], 'sharded cannot know the total');
    }
    if (method === 'serializable_update' || method === 'optimistic_concurrency_control')
      t.true(run.retryCount > 0, 'lost races were retried and counted');
    t.log(`${method}: ${run.retryCount} retries`);
  });
}

pgSerial('native lost_update loses updates under 10 concurrent clients', async (t) => {
  const run = await runPgEngine({ method: 'lost_update', userId: user() }, 10, 300);
  t.deepEqual(run.errors, []);
  t.is(run.okCount, 3000);
  t.true(run.final < 3000, `final ${run.final} should be below 3000`);
  t.true(new Set(run.values).size < run.values.length, 'clients wrote the same values');
});

pgSerial('native serializable_update without retries rejects the losers as the JS engine does', async (t) => {
  const run = await runPgEngine({ method: 'serializable_update', doRetries: false, userId: user() }, 10, 100);
  t.true(run.errors.length > 0, 'some increments hit serialization failures');
  for (const err of run.errors) {
    t.is((err as CounterError).kind, 'conflict');
    t.regex(err.message, /^PostgreSQL at [^ ]+: could not serialize access.*\(SQLSTATE 40001\)$/);
  }
  t.is(run.okCount + run.errors.length, 1000);
  t.is(run.final, run.okCount, 'the count equals the increments that succeeded');
  t.is(run.retryCount, 0);
});

pgSerial('native optimistic concurrency control gives up with a conflict when retries run out', async (t) => {
  const run = await runPgEngine(
    { method: 'optimistic_concurrency_control', userId: user(), env: { ...ENV, PG_MAX_RETRIES: '0' } },
    10,
    100,
  );
  t.true(run.errors.length > 0, 'with no retries some version checks fail');
  for (const err of run.errors) {
    t.is((err as CounterError).kind, 'conflict');
    t.regex(err.message, /increment gave up after 0 retries \(version changed under us\); raise PG_MAX_RETRIES$/);
  }
  t.is(run.final, run.okCount);
});

pgSerial('native: a user without a row fails each call in one line, as the JS engine does', async (t) => {
  const userId = user();
  const factory = postgresqlCounterFactory({ env: ENV, method: 'row_level_locking', userId, engine: 'native' });
  const boss = await PgConnection.open(CONFIG);
  try {
    await (await factory.open()).close(); // makes the user's row, which the delete then takes away
    await boss.query('DELETE FROM user_counter WHERE user_id = $1', [userId]);
    const engine = await factory.openEngine!(2);
    const end = await engine.run({ startUs: monotonicUs(), callsPerClient: 3 });
    await engine.close();
    t.is(end.length, 6);
    t.is(end.errors.size, 6);
    for (const err of end.errors.values()) {
      t.is((err as CounterError).kind, 'backend');
      t.regex(err.message, new RegExp(`user ${userId} has no row in user_counter; reset the counter`));
      t.notRegex(err.message, /\n/);
    }
  } finally {
    await boss.close();
    await factory.close();
  }
});

pgSerial('native: backends killed mid-run end their calls with errors, counted; the run goes on and ends', async (t) => {
  const userId = user();
  const boss = await PgConnection.open(CONFIG);
  let holding = false;
  try {
    const run = await runPgEngine({ method: 'advisory_lock', userId }, 4, 5, async () => {
      // Hold the user's advisory lock: every client waits behind it where its backend can be seen.
      await boss.query('BEGIN');
      holding = true;
      await boss.query(`SELECT pg_advisory_xact_lock(${COUNTER_LOCK_CLASS}, ${userId})`);
      const waiting = async () =>
        (
          await boss.query<{ pid: number }>(
            `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND objid = $2 AND NOT granted`,
            [COUNTER_LOCK_CLASS, userId],
          )
        ).map((row) => row.pid);
      t.true(await waitUntil(async () => (await waiting()).length === 4, 20_000), 'all four clients wait');
      for (const pid of await waiting()) await boss.query('SELECT pg_terminate_backend($1)', [pid]);
      await boss.query('COMMIT');
      holding = false;
    });
    t.is(run.errors.length, 4, run.errors.map((err) => err.message).join('; '));
    for (const err of run.errors) {
      t.is((err as CounterError).kind, 'refused', 'killed before COMMIT: certainly not applied');
      t.regex(err.message, /^PostgreSQL at [^ ]+: terminating connection due to administrator command/);
    }
    t.is(run.okCount, 16, 'each client reconnected and made its other calls');
    t.is(run.final, 16);
  } finally {
    if (holding) await boss.query('ROLLBACK').catch(() => {});
    await boss.close();
  }
});

const openFds = () => fs.readdirSync('/proc/self/fd').length;

pgSerial('native: the database going away mid-run fails calls, counted, one line each; the run ends', async (t) => {
  const fdsBefore = openFds();
  const gateway = new TcpRelay(await freePort(), { host: CONFIG.host, port: CONFIG.port });
  await gateway.up();
  const factory = postgresqlCounterFactory({ env: { ...ENV, DB_PORT: String(gateway.port) }, userId: user() });
  try {
    await (await factory.open()).close();
    const engine = await factory.openEngine!(2);
    const taken: EngineCalls[] = [];
    const timer = setInterval(() => taken.push(engine.drain()), 20);
    const startUs = monotonicUs();
    const running = engine.run({ startUs, deadlineUs: startUs + 2e6 });
    t.true(await waitUntil(async () => taken.some((calls) => calls.length > 0), 20_000), 'calls were made');
    await gateway.down();
    taken.push(await running);
    clearInterval(timer);
    await engine.close();
    const errors = taken.flatMap((calls) => [...calls.errors.values()]) as CounterError[];
    t.true(errors.length > 0, 'calls failed once the database was gone');
    for (const err of errors) {
      t.true(['refused', 'reset'].includes(err.kind), `${err.kind}: ${err.message}`);
      t.notRegex(err.message, /\n/);
    }
    t.true(
      errors.some((err) => err.kind === 'refused' && /cannot connect to PostgreSQL at .*DB_PORT/.test(err.message)),
      errors.map((err) => err.message).join('; '),
    );
  } finally {
    await gateway.down();
    await factory.close();
  }
  // Every connection the engine opened, refused ones included, was finished with it.
  t.true(await waitUntil(async () => openFds() <= fdsBefore, 10_000), `${openFds()} fds open, ${fdsBefore} before`);
});

pgSerial('the tester CLI runs postgresql on the native loop by default, on pg-native with --engine js', async (t) => {
  const env = { DB_HOST: CONFIG.host, DB_PORT: String(CONFIG.port) };
  const args = ['postgresql', '--method', 'inplace_update', '--n-clients', '2', '--n-calls-per-client', '50'];
  const native = await runThreads(t, args, env);
  t.regex(native.verdict, /^exact: 100 of 100 increments counted/);
  t.true(native.threads.includes('loop thread'), 'the native engine reports its loop thread');
  t.false((await runThreads(t, [...args, '--engine', 'js'], env)).threads.includes('loop thread'), 'the JS engine has none');
});
