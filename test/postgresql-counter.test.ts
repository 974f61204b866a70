import test from 'ava';
import net from 'node:net';
import { type Counter, CounterError, type CounterFactory } from '../counters/counter.js';
import { ConfigError, type Env } from '../backends/env.js';
import { PgConnection, readPostgresConfig } from '../backends/postgresql/connection.js';
import {
  closeUserCounterConnections,
  DEFAULT_POSTGRES_METHOD,
  getUserCounter,
  incrementUserCounter,
  initUserCounterTable,
  POSTGRES_METHODS,
  type PostgresMethod,
  postgresqlCounterFactory,
} from '../counters/postgresql/postgresql-counter.js';
import { COUNTER_LOCK_CLASS } from '../counters/postgresql/schema.js';
import { freePort } from '../tester/harness/free-port.js';
import { postgresTest } from './helpers/required-service.js';
import { setTimeout as sleep } from 'node:timers/promises';

// Real PostgreSQL (scripts/postgres.sh start). Without a server the tests fail, unless
// COUNTERS_SKIP_POSTGRESQL=1 skips them. Each test uses its own user id: ava runs tests concurrently.
const ENV: Env = { ...process.env, DB_HOST: process.env.DB_HOST || '127.0.0.1' };
const CONFIG = readPostgresConfig(ENV);
const where = `${CONFIG.host}:${CONFIG.port}`;

const { test: pgTest, serial: pgSerial } = await postgresTest({ postgresEnv: ENV });

/** The superuser connection tests use to look behind the counter's back. */
async function admin(): Promise<PgConnection> {
  return PgConnection.open(CONFIG);
}

interface Run {
  values: number[];
  failures: unknown[];
  successes: number;
  final: number;
  retries: number;
}

/** `clients` clients, each making `calls` increments in sequence, all at once, from a reset. */
async function hammer(factory: CounterFactory, clients: number, calls: number): Promise<Run> {
  const counters = await Promise.all(Array.from({ length: clients }, () => factory.open()));
  try {
    await counters[0].reset();
    t0check(await counters[0].read());
    const values: number[] = [];
    const failures: unknown[] = [];
    let successes = 0;
    await Promise.all(
      counters.map(async (counter) => {
        for (let i = 0; i < calls; i++) {
          try {
            const value = await counter.increment();
            successes++;
            if (value !== undefined) values.push(value);
          } catch (err) {
            failures.push(err);
          }
        }
      }),
    );
    const final = await counters[clients - 1].read();
    const retries = counters.reduce((sum, c) => sum + c.retryCount, 0);
    return { values, failures, successes, final, retries };
  } finally {
    await Promise.all(counters.map((c) => c.close()));
    await factory.close();
  }
}

function t0check(value: number): void {
  if (value !== 0) throw new Error(`reset left ${value}`);
}

// Apart from every other file's users (pg-native-engine takes 8,000,000 up): files run two at a time on one table.
let nextUser = 7_000_000 + Math.floor(Math.random() * 1000) * 100;
const user = () => nextUser++;

test('exports the seven methods, inplace_update by default', (t) => {
  t.deepEqual([...POSTGRES_METHODS].sort(), [
    'advisory_lock',
    'inplace_update',
    'lost_update',
    'optimistic_concurrency_control',
    'row_level_locking',
    'serializable_update',
    'sharded',
  ]);
  t.is(DEFAULT_POSTGRES_METHOD, 'inplace_update');
  const f = postgresqlCounterFactory({});
  t.is(f.name, 'postgresql/inplace_update');
  t.true(f.promisesExact);
  t.true(f.linearizable);
  t.like(postgresqlCounterFactory({ method: 'lost_update' }), { promisesExact: false, linearizable: false });
  t.like(postgresqlCounterFactory({ method: 'sharded' }), { promisesExact: true, linearizable: false });
  t.like(postgresqlCounterFactory({ method: 'serializable_update' }), { promisesExact: true, linearizable: true });
  t.throws(() => postgresqlCounterFactory({ method: 'nope' as PostgresMethod }), {
    instanceOf: ConfigError,
    message: /PostgreSQL method "nope" is invalid: use one of lost_update, inplace_update/,
  });
});

// Heavy runs are serial: 10 connections each, and the server has max_connections for everyone.
const EXACT: Array<{ method: PostgresMethod; doRetries?: boolean; calls: number }> = [
  { method: 'inplace_update', calls: 200 },
  { method: 'row_level_locking', calls: 200 },
  { method: 'optimistic_concurrency_control', calls: 200 },
  { method: 'serializable_update', doRetries: true, calls: 100 },
  { method: 'advisory_lock', calls: 200 },
  { method: 'sharded', calls: 200 },
];

for (const { method, doRetries, calls } of EXACT) {
  pgSerial(`${method}${doRetries ? ' with retries' : ''}: 10 clients x ${calls} count exactly`, async (t) => {
    const factory = postgresqlCounterFactory({ method, doRetries, userId: user(), env: ENV });
    const run = await hammer(factory, 10, calls);
    const total = 10 * calls;
    t.deepEqual(run.failures, []);
    t.is(run.successes, total);
    t.is(run.final, total);
    if (factory.linearizable) {
      t.is(run.values.length, total);
      t.is(new Set(run.values).size, total, 'every increment returned its own value');
      t.is(Math.min(...run.values), 1);
      t.is(Math.max(...run.values), total);
    } else {
      t.deepEqual(run.values, [], 'sharded cannot know the total');
    }
    if (method === 'serializable_update') t.true(run.retries > 0, 'serialization failures were retried');
    t.log(`${factory.name}: ${run.retries} retries`);
  });
}

pgSerial('lost_update loses updates under 10 concurrent clients', async (t) => {
  const factory = postgresqlCounterFactory({ method: 'lost_update', userId: user(), env: ENV });
  const run = await hammer(factory, 10, 500);
  t.deepEqual(run.failures, []);
  t.is(run.successes, 5000);
  t.true(run.final < 5000, `final ${run.final} should be below 5000`);
  t.true(new Set(run.values).size < run.values.length, 'clients wrote the same values');
  t.log(`lost_update: ${5000 - run.final} of 5000 increments lost`);
});

pgSerial('serializable_update without retries rejects the losers and counts the winners', async (t) => {
  const factory = postgresqlCounterFactory({
    method: 'serializable_update',
    doRetries: false,
    userId: user(),
    env: ENV,
  });
  const run = await hammer(factory, 10, 100);
  t.true(run.failures.length > 0, 'some increments hit serialization failures');
  for (const err of run.failures) {
    t.true(err instanceof CounterError, String(err));
    t.is((err as CounterError).kind, 'conflict');
    t.regex((err as CounterError).message, /could not serialize access.*40001/);
  }
  t.is(run.successes + run.failures.length, 1000);
  t.is(run.final, run.successes, 'the count equals the increments that succeeded');
  t.is(new Set(run.values).size, run.successes);
  t.is(run.retries, 0);
});

pgSerial('optimistic concurrency control gives up with a conflict when retries are exhausted', async (t) => {
  const factory = postgresqlCounterFactory({
    method: 'optimistic_concurrency_control',
    userId: user(),
    env: { ...ENV, PG_MAX_RETRIES: '0' },
  });
  const run = await hammer(factory, 10, 100);
  t.true(run.failures.length > 0, 'with no retries some version checks fail');
  for (const err of run.failures) {
    t.is((err as CounterError).kind, 'conflict');
    t.regex((err as CounterError).message, /gave up after 0 retries.*PG_MAX_RETRIES/);
  }
  t.is(run.final, run.successes);
});

pgTest('a client survives its connection being killed', async (t) => {
  const userId = user();
  const factory = postgresqlCounterFactory({ method: 'advisory_lock', userId, env: ENV });
  const counter = await factory.open();
  const boss = await admin();
  let holding = false;
  try {
    await counter.reset();
    // Hold the user's advisory lock so the client's increment waits where we can see its pid.
    await boss.query('BEGIN');
    holding = true;
    await boss.query(`SELECT pg_advisory_xact_lock(${COUNTER_LOCK_CLASS}, ${userId})`);
    const pending = counter.increment();
    const pid = await waitFor(async () => {
      const rows = await boss.query<{ pid: number }>(
        `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND objid = $2 AND NOT granted`,
        [COUNTER_LOCK_CLASS, userId],
      );
      return rows[0]?.pid;
    });
    await boss.query('SELECT pg_terminate_backend($1)', [pid]);
    const err = await t.throwsAsync(pending, { instanceOf: CounterError });
    t.is(err?.kind, 'refused', 'killed before COMMIT: certainly not applied');
    await boss.query('COMMIT');
    holding = false;
    t.is(await counter.increment(), 1, 'the next increment reconnects');
    t.is(await counter.read(), 1);
  } finally {
    if (holding) await boss.query('ROLLBACK').catch(() => {});
    await boss.close();
    await counter.close();
    await factory.close();
  }
});

pgTest('closing a client with an increment in flight rejects it instead of hanging', async (t) => {
  const userId = user();
  const factory = postgresqlCounterFactory({ method: 'advisory_lock', userId, env: ENV });
  const counter = await factory.open();
  const boss = await admin();
  try {
    await counter.reset();
    await boss.query('BEGIN');
    await boss.query(`SELECT pg_advisory_xact_lock(${COUNTER_LOCK_CLASS}, ${userId})`);
    const pending = counter.increment();
    await waitFor(async () => {
      const rows = await boss.query(
        `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND NOT granted`,
        [userId],
      );
      return rows[0];
    });
    await counter.close();
    const err = await t.throwsAsync(pending, { instanceOf: CounterError });
    t.is(err?.kind, 'refused');
    await t.throwsAsync(counter.increment(), { instanceOf: CounterError, message: /closed/ });
  } finally {
    await boss.query('ROLLBACK');
    await boss.close();
    await factory.close();
  }
});

async function waitFor<T>(look: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const found = await look();
    if (found !== undefined) return found;
    await sleep(25);
  }
  throw new Error('timed out waiting');
}

pgTest('a wrong password is one line naming host:port and POSTGRES_PASSWORD', async (t) => {
  const factory = postgresqlCounterFactory({ userId: user(), env: { ...ENV, POSTGRES_PASSWORD: 'wrong' } });
  const err = await t.throwsAsync(factory.open(), { instanceOf: ConfigError });
  t.notRegex(err!.message, /\n/);
  t.true(err!.message.includes(where), err!.message);
  t.regex(err!.message, /POSTGRES_PASSWORD/);
  await factory.close();
});

pgTest('a server that is not there is one line naming host:port', async (t) => {
  const factory = postgresqlCounterFactory({ userId: user(), env: { ...ENV, DB_PORT: '1' } });
  const err = await t.throwsAsync(factory.open(), { instanceOf: ConfigError });
  t.notRegex(err!.message, /\n/);
  t.true(err!.message.includes(`${CONFIG.host}:1`), err!.message);
  t.regex(err!.message, /DB_PORT/);
});

pgTest('bad settings are one line naming the env var', async (t) => {
  const factory = postgresqlCounterFactory({ userId: user(), env: { ...ENV, PG_MAX_RETRIES: 'lots' } });
  await t.throwsAsync(factory.open(), { instanceOf: ConfigError, message: /^PG_MAX_RETRIES="lots" is invalid/ });
});

pgSerial('missing privileges are one line naming host:port, the user and POSTGRES_USER', async (t) => {
  const boss = await admin();
  const role = `counters_noperm_${process.pid}`;
  const database = `counters_test_noperm_${process.pid}`;
  const env = { ...ENV, POSTGRES_USER: role, POSTGRES_PASSWORD: 'noperm' };
  try {
    await boss.query(`CREATE ROLE ${role} LOGIN PASSWORD 'noperm'`);
    // Tables exist in the default database (earlier tests made them) but the role may not use them.
    await (await postgresqlCounterFactory({ userId: user(), env: ENV }).open()).close();
    const useErr = await t.throwsAsync(postgresqlCounterFactory({ userId: user(), env }).open(), {
      instanceOf: ConfigError,
    });
    t.notRegex(useErr!.message, /\n/);
    t.true(useErr!.message.includes(where), useErr!.message);
    t.regex(
      useErr!.message,
      /permission denied for table user_counter.*grant SELECT, INSERT, UPDATE, DELETE.*POSTGRES_USER/,
    );
    t.true(useErr!.message.includes(`"${role}"`));
    // In a fresh database (PostgreSQL 15: no CREATE on schema public for others) creating the tables fails.
    await boss.query(`CREATE DATABASE ${database}`);
    const createErr = await t.throwsAsync(
      postgresqlCounterFactory({ userId: user(), env: { ...env, POSTGRES_DB: database } }).open(),
      { instanceOf: ConfigError },
    );
    t.notRegex(createErr!.message, /\n/);
    t.true(createErr!.message.includes(where), createErr!.message);
    t.regex(
      createErr!.message,
      /cannot create tables user_counter and user_counter_shard.*permission denied for schema public.*POSTGRES_USER/,
    );
  } finally {
    await boss.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
    await boss.query(`DROP ROLE IF EXISTS ${role}`).catch(() => {});
    await boss.close();
  }
});

pgSerial('the database is created on first use', async (t) => {
  const database = `counters_test_created_${process.pid}`;
  const boss = await admin();
  try {
    const factory = postgresqlCounterFactory({ userId: 1, env: { ...ENV, POSTGRES_DB: database } });
    const counter = await factory.open();
    await counter.reset();
    t.is(await counter.increment(), 1);
    t.is(await counter.read(), 1);
    await counter.close();
    await factory.close();
    const rows = await boss.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    t.is(rows.length, 1);
  } finally {
    await boss.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
    await boss.close();
  }
});

pgTest('a counter reads what it was reset and incremented to; reset zeroes the shards', async (t) => {
  const userId = user();
  const shardy = postgresqlCounterFactory({ method: 'sharded', userId, env: { ...ENV, PG_SHARDS: '3' } });
  const counter: Counter = await shardy.open();
  try {
    await counter.reset();
    for (let i = 0; i < 30; i++) t.is(await counter.increment(), undefined);
    t.is(await counter.read(), 30);
    const boss = await admin();
    const slots = await boss.query<{ slot: number }>(
      'SELECT slot FROM user_counter_shard WHERE user_id = $1 ORDER BY slot',
      [userId],
    );
    await boss.close();
    t.deepEqual(
      slots.map((r) => r.slot),
      [0, 1, 2],
    );
    await counter.reset();
    t.is(await counter.read(), 0);
    t.is(counter.retryCount, 0);
  } finally {
    await counter.close();
    await shardy.close();
  }
});

pgTest('library functions: init, get, increment', async (t) => {
  const userId = user();
  await initUserCounterTable(userId);
  t.is(await getUserCounter(userId), 0);
  t.is(await incrementUserCounter(userId), 1, 'inplace_update by default');
  t.is(await incrementUserCounter(userId, 'row_level_locking'), 2);
  t.is(await incrementUserCounter(userId, 'serializable_update', true), 3);
  t.is(await incrementUserCounter(userId, 'optimistic_concurrency_control'), 4);
  t.is(await incrementUserCounter(userId, 'advisory_lock'), 5);
  t.is(await incrementUserCounter(userId, 'lost_update'), 6);
  t.is(await incrementUserCounter(userId, 'sharded'), undefined);
  t.is(await getUserCounter(userId), 7);
  t.is(await getUserCounter(userId, 'serializable'), 7);
  t.is(await getUserCounter(userId, 'REPEATABLE_READ'), 7);
  t.is(await getUserCounter(userId, 'inplace_update'), 7, "the reference's glue passes the method as isolation level");
  // Concurrent callers share a pool and still count exactly.
  const values = await Promise.all(Array.from({ length: 30 }, () => incrementUserCounter(userId)));
  t.is(new Set(values).size, 30);
  t.is(await getUserCounter(userId), 37);
  await initUserCounterTable(userId, 'serializable');
  t.is(await getUserCounter(userId), 0);
  t.is(await getUserCounter(user()), 0, 'a user without a row reads 0, like the reference');
  await t.throwsAsync(incrementUserCounter(user()), {
    instanceOf: CounterError,
    message: /has no row in user_counter/,
  });
  await t.throwsAsync(getUserCounter(userId, 'chaos'), {
    instanceOf: ConfigError,
    message: /isolation level "chaos" is invalid/,
  });
});

test.after.always(async () => {
  await closeUserCounterConnections();
});

pgTest('a statement that outlives PG_STATEMENT_TIMEOUT_MS fails its connection instead of hanging', async (t) => {
  const conn = await PgConnection.open({ ...CONFIG, statementTimeoutMs: 200 });
  try {
    const started = Date.now();
    const err = await t.throwsAsync(conn.query('SELECT pg_sleep(3)'), {
      message: /no answer from PostgreSQL within 200 ms \(PG_STATEMENT_TIMEOUT_MS\)/,
    });
    t.is((err as Error & { sqlState?: string }).sqlState, '08006');
    t.true(Date.now() - started < 1500, 'failed near the timeout, not after the sleep');
    t.true(conn.lost, 'the connection is given up: the next call opens a new one');
  } finally {
    await conn.close();
  }
});

// The server and the tester share one connect-with-startup-retry: a database that is not yet
// listening (a compose stack still starting) is waited for, about 10 s, instead of failing at once.

/**
 * After `delayMs`, relays `port` to the real PostgreSQL: a database that comes up late. The port
 * cannot be held meanwhile (the point is that it refuses connections until then, and Node binds
 * no TCP socket without listening), so another process may take it: `listening` then rejects with
 * EADDRINUSE and the caller tries another port.
 */
function lateDatabase(port: number, delayMs: number): { listening: Promise<void>; close(): void } {
  const target = CONFIG;
  const relay = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  const listening = new Promise<void>((resolve, reject) => {
    relay.once('error', reject);
    relay.once('listening', () => resolve());
  });
  listening.catch(() => {});
  const timer = setTimeout(() => relay.listen(port, '127.0.0.1'), delayMs);
  return {
    listening,
    close: () => {
      clearTimeout(timer);
      relay.close();
    },
  };
}

pgTest('the tester waits for a database that starts listening later', async (t) => {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const database = lateDatabase(port, 1500);
    const factory = postgresqlCounterFactory({ userId: 77, env: { ...ENV, DB_PORT: String(port) } });
    const started = Date.now();
    try {
      const opened = factory.open();
      opened.catch(() => {});
      const taken = await database.listening.then(
        () => false,
        (err: NodeJS.ErrnoException) => {
          if (err.code !== 'EADDRINUSE') throw err;
          return true;
        },
      );
      // Another process took the port before the late database could listen: try another one.
      if (taken && attempt < 5) continue;
      t.false(taken, `port ${port} was taken ${attempt} times before the late database listened`);
      const counter = await opened;
      t.true(Date.now() - started >= 1000, 'it waited for the database to listen');
      await counter.reset();
      t.is(await counter.read(), 0);
      return;
    } finally {
      await factory.close();
      database.close();
    }
  }
});
