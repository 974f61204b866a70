import test from 'ava';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { CounterError, type CounterFactory } from '../counters/counter.js';
import { ConfigError, type Env } from '../backends/env.js';
import { connectHazelcast } from '../backends/hazelcast/connect.js';
import {
  DEFAULT_HAZELCAST_METHOD,
  HAZELCAST_ENV_DEFAULTS,
  HAZELCAST_METHODS,
  type HazelcastMethod,
  hazelcastCounterFactory,
  readHazelcastConfig,
} from '../counters/hazelcast/hazelcast-counter.js';
import { Long, toCount } from '../backends/hazelcast/values.js';
import { freePort } from '../tester/harness/free-port.js';
import { requireServices } from './helpers/required-service.js';

// Real cluster (scripts/hazelcast.sh start: 3 members on 127.0.0.1:5701-5703 with CP). Without
// it the cluster tests fail, unless COUNTERS_SKIP_HAZELCAST=1 skips them. Every test works on its own
// map / atomic long / PN counter / lock names, so concurrent runs (other test files, a tester
// run, a bench) cannot disturb it; they are destroyed at the end.

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const JAR = path.join(ROOT, '.hazelcast/lib/hazelcast-5.4.0.jar');
const RUN_ID = `${process.pid}-${Date.now().toString(36)}`;
// Where the cluster is may come from the environment; what the tests touch may not.
const BASE_ENV: Env = { ...process.env };
for (const name of Object.keys(BASE_ENV)) {
  if (name.startsWith('HZ_') && name !== 'HZ_CLUSTER_MEMBERS' && name !== 'HZ_CLUSTER_NAME') delete BASE_ENV[name];
}

const usedNames: { map: string[]; atomic: string[]; pn: string[] } = { map: [], atomic: [], pn: [] };
/** Only atomic longs that exist get destroyed (fetching a CP proxy costs a Raft commit). */
const createdAtomics = new Set<string>();

/** An environment naming objects no other test or process uses. */
function isolatedEnv(tag: string, extra: Env = {}): Env {
  const name = `counters-test-${RUN_ID}-${tag}`;
  usedNames.map.push(name);
  usedNames.atomic.push(name);
  usedNames.pn.push(name);
  return {
    ...BASE_ENV,
    HZ_MAP_NAME: name,
    HZ_ATOMIC_LONG_NAME: name,
    HZ_PN_COUNTER_NAME: name,
    HZ_FENCED_LOCK_NAME: `${name}-lock`,
    ...extra,
  };
}

const services = await requireServices(['hazelcast'], { hazelcastEnv: BASE_ENV });
const { serial: clusterTest } = services.need('hazelcast');

test.after.always('destroy the objects the tests created', async () => {
  if (!services.answers('hazelcast')) return;
  const client = await connectHazelcast(readHazelcastConfig(BASE_ENV));
  try {
    const cp = client.getCPSubsystem();
    await Promise.allSettled([
      ...usedNames.map.map(async (name) => (await client.getMap(name)).destroy()),
      ...usedNames.pn.map(async (name) => (await client.getPNCounter(name)).destroy()),
      ...usedNames.atomic
        .filter((name) => createdAtomics.has(name))
        .map(async (name) => (await cp.getAtomicLong(name)).destroy()),
    ]);
  } finally {
    await client.shutdown();
  }
});

interface Run {
  values: number[];
  failures: unknown[];
  final: number;
  retries: number;
  rps: number;
}

/** `clients` users, each making `calls` increments in sequence, all at once, from a reset. */
async function hammer(factory: CounterFactory, clients: number, calls: number): Promise<Run> {
  const counters = await Promise.all(Array.from({ length: clients }, () => factory.open()));
  try {
    await counters[0].reset();
    const values: number[] = [];
    const failures: unknown[] = [];
    const started = performance.now();
    await Promise.all(
      counters.map(async (counter) => {
        for (let i = 0; i < calls; i++) {
          try {
            const value = await counter.increment();
            if (value !== undefined) values.push(value);
          } catch (err) {
            failures.push(err);
          }
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const final = await counters[0].read();
    const retries = counters.reduce((sum, counter) => sum + counter.retryCount, 0);
    return { values, failures, final, retries, rps: Math.round(values.length / seconds) };
  } finally {
    await Promise.all(counters.map((counter) => counter.close()));
    await factory.close();
  }
}

function duplicates(values: number[]): number {
  return values.length - new Set(values).size;
}

// ---------------------------------------------------------------------------------------------
// Without a cluster

test('defaults are the reference settings', (t) => {
  const config = readHazelcastConfig({});
  t.deepEqual(config.members, ['127.0.0.1:5701', '127.0.0.1:5702', '127.0.0.1:5703']);
  t.is(config.clusterName, 'dev');
  t.is(config.mapName, 'counter-map');
  t.is(config.counterKey, 'count');
  t.is(config.atomicLongName, 'counter');
  t.is(config.pnCounterName, 'counter');
  t.is(config.connectTimeoutMs, HAZELCAST_ENV_DEFAULTS.HZ_CONNECT_TIMEOUT_MS);
  t.is(DEFAULT_HAZELCAST_METHOD, 'pessimistic');
  t.deepEqual([...HAZELCAST_METHODS], ['no_lock', 'pessimistic', 'optimistic', 'atomic', 'fenced_lock', 'pn_counter']);
});

test('HZ_CLUSTER_MEMBERS accepts a spaced list and rejects garbage in one line', (t) => {
  t.deepEqual(readHazelcastConfig({ HZ_CLUSTER_MEMBERS: ' 10.0.0.1:5701, hz-2 ,[::1]:5702' }).members, [
    '10.0.0.1:5701',
    'hz-2',
    '[::1]:5702',
  ]);
  const err = t.throws(() => readHazelcastConfig({ HZ_CLUSTER_MEMBERS: 'a b:1' }), { instanceOf: ConfigError });
  t.regex(err.message, /^HZ_CLUSTER_MEMBERS="a b:1" is invalid/);
  t.throws(() => readHazelcastConfig({ HZ_MAX_RETRIES: '-1' }), { instanceOf: ConfigError, message: /HZ_MAX_RETRIES/ });
});

test('factory names and promises per method', (t) => {
  const flags = Object.fromEntries(
    HAZELCAST_METHODS.map((method) => {
      const factory = hazelcastCounterFactory(method, {});
      t.is(factory.name, `hazelcast/${method}`);
      return [method, [factory.promisesExact, factory.linearizable]];
    }),
  );
  t.deepEqual(flags, {
    no_lock: [false, false],
    pessimistic: [true, true],
    optimistic: [true, true],
    atomic: [true, true],
    fenced_lock: [true, true],
    pn_counter: [true, false],
  });
  t.is(hazelcastCounterFactory(undefined, {}).name, 'hazelcast/pessimistic');
  t.throws(() => hazelcastCounterFactory('bogus' as HazelcastMethod, {}), {
    instanceOf: ConfigError,
    message: /no_lock, pessimistic/,
  });
  t.throws(() => hazelcastCounterFactory('pessimistic', {}, { clientPerUser: false }), { instanceOf: ConfigError });
});

test('stored values are read as numbers whatever the writer used', (t) => {
  t.is(toCount(null, 'x'), 0);
  t.is(toCount(42, 'x'), 42);
  t.is(toCount(Long.fromNumber(2 ** 40), 'x'), 2 ** 40);
  t.throws(() => toCount('7', 'x'), { instanceOf: CounterError, message: /x holds string "7"/ });
  t.throws(() => toCount(Long.MAX_VALUE, 'x'), { instanceOf: CounterError, message: /beyond/ });
});

test('unreachable cluster: one-line ConfigError naming the member, within the connect timeout', async (t) => {
  const factory = hazelcastCounterFactory('atomic', { ...BASE_ENV, HZ_CLUSTER_MEMBERS: '127.0.0.1:5799' });
  const started = Date.now();
  const err = await t.throwsAsync(factory.open(), { instanceOf: ConfigError });
  const elapsed = Date.now() - started;
  t.log(err.message, `(${elapsed} ms)`);
  t.regex(err.message, /cannot connect to Hazelcast cluster "dev" at 127\.0\.0\.1:5799 within 5 s/);
  t.regex(err.message, /ECONNREFUSED/);
  t.regex(err.message, /scripts\/hazelcast\.sh start/);
  t.false(err.message.includes('\n'));
  t.true(elapsed < 15_000, `took ${elapsed} ms`);
  await factory.close();
});

// ---------------------------------------------------------------------------------------------
// On the cluster

const CLIENTS = 10;
const CALLS = 300;
const TOTAL = CLIENTS * CALLS;

for (const method of ['pessimistic', 'optimistic', 'atomic', 'fenced_lock'] as const) {
  clusterTest(`${method}: ${CLIENTS} x ${CALLS} concurrent increments are exact and unique`, async (t) => {
    t.timeout(120_000);
    const env = isolatedEnv(method);
    if (method === 'atomic') createdAtomics.add(env.HZ_ATOMIC_LONG_NAME!);
    const run = await hammer(hazelcastCounterFactory(method, env), CLIENTS, CALLS);
    t.log(`${run.rps} increments/s, ${run.retries} retries`);
    t.deepEqual(run.failures, []);
    t.is(run.final, TOTAL);
    t.is(run.values.length, TOTAL);
    t.is(duplicates(run.values), 0);
    t.is(Math.min(...run.values), 1);
    t.is(Math.max(...run.values), TOTAL);
  });
}

clusterTest(`no_lock: ${CLIENTS} x ${CALLS} concurrent increments lose updates`, async (t) => {
  t.timeout(120_000);
  const run = await hammer(hazelcastCounterFactory('no_lock', isolatedEnv('no_lock')), CLIENTS, CALLS);
  t.log(`${run.rps} increments/s; final ${run.final} of ${TOTAL}; ${duplicates(run.values)} duplicate values`);
  t.deepEqual(run.failures, []);
  t.true(run.values.includes(run.final), `final ${run.final} is the value of the last write, which some client got`);
  t.true(run.final < TOTAL, `final ${run.final} should fall short of ${TOTAL}`);
});

clusterTest(`pn_counter: ${CLIENTS} x ${CALLS} concurrent increments converge to the exact total`, async (t) => {
  t.timeout(120_000);
  const run = await hammer(hazelcastCounterFactory('pn_counter', isolatedEnv('pn_counter')), CLIENTS, CALLS);
  t.log(`${run.rps} increments/s; ${duplicates(run.values)} duplicate values (replicas answer with their own view)`);
  t.deepEqual(run.failures, []);
  t.is(run.values.length, TOTAL);
  t.is(run.final, TOTAL);
});

clusterTest('optimistic: exhausted retries reject with kind conflict and are not counted', async (t) => {
  t.timeout(120_000);
  const env = isolatedEnv('optimistic-bounded', { HZ_MAX_RETRIES: '0' });
  const run = await hammer(hazelcastCounterFactory('optimistic', env), CLIENTS, 100);
  t.log(`${run.failures.length} of ${CLIENTS * 100} increments gave up`);
  t.true(run.failures.length > 0, 'with 10 clients and no retries some increments must lose');
  for (const err of run.failures) t.like(err, { name: 'CounterError', kind: 'conflict' });
  t.is(run.retries, 0);
  t.is(run.final, run.values.length);
  t.is(duplicates(run.values), 0);
});

clusterTest('the map entry holds a Java Long, and reset writes a Long 0', async (t) => {
  const env = isolatedEnv('long-values');
  const factory = hazelcastCounterFactory('optimistic', env);
  const counter = await factory.open();
  const client = await connectHazelcast(readHazelcastConfig(env));
  try {
    const map = await client.getMap<string, unknown>(env.HZ_MAP_NAME!);
    await map.set('count', 41); // a double, as a plain JS number is written by default
    t.is(await counter.read(), 41);
    t.is(await counter.increment(), 42);
    const stored = await map.get('count');
    t.true(Long.isLong(stored), `stored ${String(stored)} as ${typeof stored}`);
    t.is((stored as Long).toNumber(), 42);
    await counter.reset();
    const zero = await map.get('count');
    t.true(Long.isLong(zero) && (zero as Long).isZero());
    t.is(await counter.read(), 0);
  } finally {
    await client.shutdown();
    await counter.close();
    await factory.close();
  }
});

// A kill-member run left the key locked (the cluster kept a lock whose client was gone): every
// later run's reset waited on it for ever, printing nothing.
for (const method of ['no_lock', 'pessimistic'] as const) {
  clusterTest(`${method}: reset clears a lock left on the key, then counts from 0`, async (t) => {
    const env = isolatedEnv(`left-lock-${method}`);
    const holder = await connectHazelcast(readHazelcastConfig(env));
    const factory = hazelcastCounterFactory(method, env);
    const counter = await factory.open();
    try {
      await (await holder.getMap<string, unknown>(env.HZ_MAP_NAME!)).lock('count');
      // Bounded only so the old behaviour (the set waiting on the lock) fails here instead of hanging.
      const bound = new AbortController();
      const stuck = sleep(20_000, 'stuck', { signal: bound.signal }).catch(() => 'cancelled');
      t.is(await Promise.race([counter.reset().then(() => 'reset'), stuck]), 'reset');
      bound.abort();
      t.false(await (await holder.getMap<string, unknown>(env.HZ_MAP_NAME!)).isLocked('count'));
      t.is(await counter.increment(), 1);
      t.is(await counter.read(), 1);
    } finally {
      await holder.shutdown();
      await counter.close();
      await factory.close();
    }
  });
}

clusterTest('a closed counter refuses increments', async (t) => {
  const factory = hazelcastCounterFactory('pessimistic', isolatedEnv('closed'));
  const counter = await factory.open();
  await counter.close();
  await t.throwsAsync(counter.increment(), { instanceOf: CounterError, message: /closed/ });
  t.like(await counter.increment().catch((err: unknown) => err), { kind: 'refused' });
  await factory.close();
});

clusterTest('wrong cluster name: one-line ConfigError that points at HZ_CLUSTER_NAME', async (t) => {
  const factory = hazelcastCounterFactory('no_lock', {
    ...BASE_ENV,
    HZ_CLUSTER_NAME: 'not-dev',
    HZ_CONNECT_TIMEOUT_MS: '1500',
  });
  const err = await t.throwsAsync(factory.open(), { instanceOf: ConfigError });
  t.log(err.message);
  t.regex(err.message, /HZ_CLUSTER_NAME/);
  t.false(err.message.includes('\n'));
  await factory.close();
});

// ---------------------------------------------------------------------------------------------
// A cluster without the CP Subsystem: one member, started here from the script's jar.

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function startMemberWithoutCp(port: number): Promise<{ child: ChildProcess; log: () => string }> {
  if (!fs.existsSync(JAR))
    throw new Error(`${JAR} is missing: run scripts/hazelcast.sh start first (it downloads the jar)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hz-no-cp-'));
  const config = path.join(dir, 'hazelcast.yaml');
  fs.writeFileSync(
    config,
    [
      'hazelcast:',
      '  cluster-name: dev',
      '  network:',
      `    port: { port: ${port}, auto-increment: false }`,
      '    join:',
      '      auto-detection: { enabled: false }',
      '      multicast: { enabled: false }',
      '      tcp-ip: { enabled: false }',
      '  jet: { enabled: false }',
      '  properties:',
      '    hazelcast.phone.home.enabled: false',
      '',
    ].join('\n'),
  );
  let output = '';
  const child = spawn(
    'java',
    [
      '-Xms64m',
      '-Xmx128m',
      '-XX:+UseSerialGC',
      '-XX:TieredStopAtLevel=1',
      `-Dhazelcast.config=${config}`,
      '-Dhazelcast.local.localAddress=127.0.0.1',
      '-cp',
      JAR,
      'com.hazelcast.core.server.HazelcastMemberStarter',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const deadline = Date.now() + 60_000;
  while (!/is STARTED/.test(output)) {
    if (child.exitCode !== null) throw new Error(`the member without CP exited:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the member without CP did not start within 60 s:\n${output}`);
    }
    await sleep(200);
  }
  return { child, log: () => output };
}

function stopMember(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

clusterTest(
  'a cluster without CP: atomic and fenced_lock fail in one line saying how to start one with CP',
  async (t) => {
    t.timeout(120_000);
    const port = await freePort();
    const { child, log } = await startMemberWithoutCp(port);
    t.teardown(() => stopMember(child));
    t.true(await portOpen(port));
    t.regex(log(), /CP Subsystem is not enabled/);
    const env = isolatedEnv('no-cp', { HZ_CLUSTER_MEMBERS: `127.0.0.1:${port}` });
    for (const method of ['atomic', 'fenced_lock'] as const) {
      const factory = hazelcastCounterFactory(method, env);
      const err = await t.throwsAsync(factory.open(), { instanceOf: ConfigError });
      t.log(err.message);
      t.regex(err.message, new RegExp(`at 127\\.0\\.0\\.1:${port} runs without the CP Subsystem`));
      t.regex(err.message, /scripts\/hazelcast\.sh start/);
      t.false(err.message.includes('\n'));
      await factory.close();
    }
    // The map methods need no CP and keep working there.
    const run = await hammer(hazelcastCounterFactory('pessimistic', env), 2, 20);
    t.is(run.final, 40);
  },
);
