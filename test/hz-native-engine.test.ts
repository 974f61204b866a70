/**
 * The Hazelcast native engine (native/hz-loader/, counters/hazelcast/native-engine.ts) keeps each
 * method's promise of the JS engine on the real cluster: exact counts and unique values where
 * promised, lost updates for no_lock, lost races retried and counted, the same gave-up error; a
 * member's error answer becomes the very error the JS engine gives; and a member going away
 * mid-run ends the calls in flight with one-line errors while the run goes on (reconnecting),
 * and ends, its sockets released.
 */
import test from 'ava';
import fs from 'node:fs';
import { SessionExpiredError } from 'hazelcast-client';
import type { CounterError, EngineCalls, IncrementEngine } from '../counters/counter.js';
import type { Env } from '../backends/env.js';
import { codec, invokeOnRandomTarget } from '../backends/hazelcast/client-internals.js';
import { connectHazelcast } from '../backends/hazelcast/connect.js';
import { HazelcastSession } from '../backends/hazelcast/session.js';
import { toCount, toLong } from '../backends/hazelcast/values.js';
import {
  HAZELCAST_METHODS,
  type HazelcastMethod,
  hazelcastCounterFactory,
  readHazelcastConfig,
} from '../counters/hazelcast/hazelcast-counter.js';
import { openCpSession } from '../counters/hazelcast/cp-session.js';
import { keyOwner, nativeHzLoader, openNativeHzEngine } from '../counters/hazelcast/native-engine.js';
import { loadHzLoader } from '../native/hz-loader.js';
import { monotonicUs } from '../tester/check/history.js';
import { waitUntil } from '../tester/harness/wait-until.js';
import { requireServices } from './helpers/required-service.js';
import { runEngine } from './helpers/run-engine.js';
import { runThreads } from './helpers/run-tester.js';
import { TcpRelay } from './helpers/tcp-relay.js';
import { freePort } from '../tester/harness/free-port.js';

const RUN_ID = `${process.pid}-${Date.now().toString(36)}`;
const BASE_ENV: Env = { ...process.env };
for (const name of Object.keys(BASE_ENV)) {
  if (name.startsWith('HZ_') && name !== 'HZ_CLUSTER_MEMBERS' && name !== 'HZ_CLUSTER_NAME') delete BASE_ENV[name];
}
const services = await requireServices(['hazelcast'], { hazelcastEnv: BASE_ENV });
const { serial: clusterTest } = services.need('hazelcast');

const names: string[] = [];
/** Objects of their own for each test, destroyed at the end. */
function isolatedEnv(tag: string, extra: Env = {}): Env {
  const name = `counters-native-${RUN_ID}-${tag}`;
  names.push(name);
  return {
    ...BASE_ENV,
    HZ_MAP_NAME: name,
    HZ_ATOMIC_LONG_NAME: name,
    HZ_PN_COUNTER_NAME: name,
    HZ_FENCED_LOCK_NAME: name,
    ...extra,
  };
}

test.after.always('destroy the objects the tests created', async () => {
  if (!services.answers('hazelcast')) return;
  const client = await connectHazelcast(readHazelcastConfig(BASE_ENV));
  try {
    await Promise.allSettled([
      ...names.map(async (name) => (await client.getMap(name)).destroy()),
      ...names.map(async (name) => (await client.getPNCounter(name)).destroy()),
    ]);
  } finally {
    await client.shutdown();
  }
});

function runNative(method: HazelcastMethod, env: Env, clients: number, calls: number) {
  return runEngine(hazelcastCounterFactory(method, env, { engine: 'native' }), clients, calls);
}

test('the addon is built and names its codes', (t) => {
  const native = loadHzLoader();
  if (typeof native === 'string') return t.fail(native);
  t.deepEqual([...native.failureNames], ['errorAnswer', 'lost', 'connect', 'noAnswer', 'notALong', 'gaveUp']);
});

test('--engine js stays on hazelcast-client; every method runs natively by default', (t) => {
  for (const method of HAZELCAST_METHODS) {
    t.is(hazelcastCounterFactory(method, {}, { engine: 'js' }).openEngine, undefined);
    t.not(hazelcastCounterFactory(method, {}).openEngine, undefined);
  }
});

for (const method of HAZELCAST_METHODS.filter((m) => m !== 'no_lock' && m !== 'pn_counter')) {
  clusterTest(`native ${method}: 10 clients x 100 count exactly, each value once`, async (t) => {
    const run = await runNative(method, isolatedEnv(method), 10, 100);
    t.deepEqual(
      run.errors.map((err) => err.message),
      [],
    );
    t.is(run.okCount, 1000);
    t.is(run.final, 1000);
    t.is(new Set(run.values).size, 1000, 'every increment returned its own value');
    t.is(Math.max(...run.values), 1000);
    t.log(`${method}: ${run.retryCount} retries`);
  });
}

clusterTest('native fenced_lock: its CP session lives on heartbeats the member answers, and is closed at the end', async (t) => {
  const session = await HazelcastSession.open(readHazelcastConfig(isolatedEnv('cp-session')));
  try {
    const { groupId } = (await session.fencedLock()) as unknown as { groupId: unknown };
    const cp = await openCpSession(session.client, groupId);
    // Beats go out every session-heartbeat-interval-seconds (5 s here); the TTL (60 s) is not waited for:
    // a member answers a heartbeat only for a session it holds alive, and refuses one it closed.
    t.true(await waitUntil(async () => cp.beats >= 2, 60_000), `${cp.beats} heartbeats answered`);
    t.is(cp.beatError, undefined);
    await cp.close();
    const heartbeat = codec('CPSessionHeartbeatSessionCodec');
    await t.throwsAsync(invokeOnRandomTarget(session.client, heartbeat.encodeRequest(groupId, cp.id), () => undefined), {
      instanceOf: SessionExpiredError,
    });
  } finally {
    await session.shutdown();
  }
});

clusterTest('native pn_counter: 10 clients x 100 count exactly once the replicas converge', async (t) => {
  const run = await runNative('pn_counter', isolatedEnv('pn'), 10, 100);
  t.deepEqual(
    run.errors.map((err) => err.message),
    [],
  );
  t.is(run.okCount, 1000);
  t.is(run.final, 1000, 'the settled read counts every increment');
  t.true(run.values.every((value) => value >= 1 && value <= 1000));
});

clusterTest('native no_lock loses updates under 10 concurrent clients', async (t) => {
  const run = await runNative('no_lock', isolatedEnv('no_lock'), 10, 300);
  t.deepEqual(run.errors, []);
  t.is(run.okCount, 3000);
  t.true(run.final < 3000, `final ${run.final} should be below 3000`);
  t.true(new Set(run.values).size < run.values.length, 'clients wrote the same values');
});

clusterTest('native optimistic gives up with the JS engine\'s conflict when retries run out', async (t) => {
  const run = await runNative('optimistic', isolatedEnv('giveup', { HZ_MAX_RETRIES: '0' }), 10, 100);
  t.true(run.errors.length > 0, 'with no retries some swaps lose');
  for (const err of run.errors) {
    t.is((err as CounterError).kind, 'conflict');
    t.regex(err.message, /replaceIfSame lost the race 1 times; gave up after HZ_MAX_RETRIES=0 retries$/);
  }
  t.is(run.final, run.okCount, 'the count equals the increments that succeeded');
  t.is(run.retryCount, 0);
});

for (const method of ['no_lock', 'pessimistic', 'fenced_lock'] as const) {
  clusterTest(`native ${method}: an entry that is not a Long fails each call in one line, no lock kept`, async (t) => {
    const env = isolatedEnv(`string-${method}`);
    const config = readHazelcastConfig(env);
    const factory = hazelcastCounterFactory(method, env);
    const client = await connectHazelcast(config);
    try {
      await (await client.getMap(config.mapName)).set(config.counterKey, 'seven');
      const engine = await factory.openEngine!(2);
      const end = await engine.run({ startUs: monotonicUs(), callsPerClient: 2 });
      await engine.close();
      t.is(end.errors.size, 4);
      for (const err of end.errors.values()) {
        t.is((err as CounterError).kind, 'protocol');
        t.regex(err.message, /holds seven, not a Long/);
      }
      const map = await client.getMap(config.mapName);
      t.is(await map.get(config.counterKey), 'seven');
      // pessimistic, fenced_lock: each failed call unlocked on its way out, as the JS engine's finally does.
      t.true(await map.tryLock(config.counterKey), 'the key is not left locked');
      await map.unlock(config.counterKey);
      t.false(await (await client.getCPSubsystem().getLock(config.fencedLockName)).isLocked(), 'nor the FencedLock');
    } finally {
      await client.shutdown();
      await factory.close();
    }
  });
}

clusterTest('native: a member\'s error answer is the error the JS engine gives, word for word', async (t) => {
  const env = isolatedEnv('destroyed');
  const factory = hazelcastCounterFactory('atomic', env);
  const counter = await factory.open();
  try {
    const engine = await factory.openEngine!(1);
    // The CP object destroyed under both engines: each call is answered with an error.
    const config = readHazelcastConfig(env);
    const client = await connectHazelcast(config);
    await (await client.getCPSubsystem().getAtomicLong(config.atomicLongName)).destroy();
    await client.shutdown();
    const end = await engine.run({ startUs: monotonicUs(), callsPerClient: 2 });
    await engine.close();
    const jsError = await counter.increment().catch((err: unknown) => err as CounterError);
    t.is(end.errors.size, 2);
    for (const err of end.errors.values()) {
      t.is((err as CounterError).kind, (jsError as CounterError).kind);
      t.is(err.message, (jsError as CounterError).message);
      t.notRegex(err.message, /\n/);
    }
  } finally {
    await counter.close();
    await factory.close();
  }
});

/** A relay in front of every member, and the routes that send the engine's connections through them. */
async function relayEveryMember(session: HazelcastSession) {
  const relays = new Map<string, TcpRelay>();
  for (const member of session.client.getCluster().getMembers()) {
    const relay = new TcpRelay(await freePort(), { host: member.address.host, port: member.address.port });
    await relay.up();
    relays.set(`${member.address.host}:${member.address.port}`, relay);
  }
  const routes = Object.fromEntries([...relays].map(([address, relay]) => [address, `127.0.0.1:${relay.port}`]));
  const owner = keyOwner(session).address;
  const others = [...relays].filter(([address]) => address !== owner).map(([, relay]) => relay);
  const down = () => Promise.all([...relays.values()].map((relay) => relay.down()));
  return { routes, owner: relays.get(owner)!, others, down };
}

/** A backup ack (ClientLocalBackupListenerCodec's event): one frame, its header and 24 bytes. */
const ACK_BYTES = 6 + 24;

async function drainedRun(engine: IncrementEngine, callsPerClient: number) {
  const end = await engine.run({ startUs: monotonicUs(), callsPerClient });
  return { end, errors: [...end.errors.values()].map((err) => err.message) };
}

clusterTest('native map writes go backup-aware: the backup member acks each to the client itself, and the count stays exact', async (t) => {
  const native = nativeHzLoader();
  if (native === undefined) return t.fail('the addon is not built');
  const session = await HazelcastSession.open(readHazelcastConfig(isolatedEnv('backup-acks')));
  const relays = await relayEveryMember(session);
  try {
    await (await session.map()).set(session.config.counterKey, toLong(0));
    const engine = await openNativeHzEngine(native, session, 'pessimistic', 2, relays.routes);
    const { end, errors } = await drainedRun(engine, 200);
    // Each user listens on every member, the one its requests go to included: a migration may move
    // the backup there (with the owner's member unlistened, a pessimistic run under kill-member held
    // each write for the backup timeout, 35-40 s in all, in about 1 run of 4).
    t.is(relays.owner.connectionCount, 4, 'each user: its connection and a listener on the owner');
    t.deepEqual(relays.others.map((relay) => relay.connectionCount), [2, 2], 'each user: a listener on each other member');
    await engine.close();
    t.deepEqual(errors, []);
    t.is(Math.max(...end.values), 400);
    t.is(toCount(await (await session.map()).get(session.config.counterKey), 'the counter'), 400);
    // 400 calls, each 3 writes (lock, set, unlock) with a backup: their acks came through the
    // listeners on the other members (a few calls go before the listeners are up, unflagged).
    const acks = relays.others.reduce((sum, relay) => sum + relay.answerBytes, 0) / ACK_BYTES;
    t.true(acks > 400, `about ${Math.round(acks)} acks reached the clients from the backup members`);
  } finally {
    await relays.down();
    await session.shutdown();
  }
});

clusterTest('native: a backup ack that never comes holds its call for the backup timeout, then the call goes on', async (t) => {
  const native = nativeHzLoader();
  if (native === undefined) return t.fail('the addon is not built');
  const session = await HazelcastSession.open(readHazelcastConfig(isolatedEnv('backup-lost')));
  // The client's hazelcast.client.operation.backup.timeout.millis (5 s), shortened for this test.
  const BACKUP_TIMEOUT_MS = 300;
  (session.client.getConfig().properties as Record<string, unknown>)['hazelcast.client.operation.backup.timeout.millis'] =
    BACKUP_TIMEOUT_MS;
  const relays = await relayEveryMember(session);
  try {
    await (await session.map()).set(session.config.counterKey, toLong(0));
    const engine = await openNativeHzEngine(native, session, 'no_lock', 1, relays.routes);
    // Until acks flow, the client listens on every other member: its listeners stay open between runs.
    t.true(
      await waitUntil(async () => {
        const before = relays.others.reduce((sum, relay) => sum + relay.answerBytes, 0);
        await drainedRun(engine, 5);
        return relays.others.reduce((sum, relay) => sum + relay.answerBytes, 0) >= before + 5 * ACK_BYTES;
      }, 20_000),
      'the backup member acked to the client',
    );
    // Not awaited: it resolves on an answer, and the member without the backup sends none.
    for (const relay of relays.others) void relay.holdAnswers();
    const startUs = monotonicUs();
    const { end, errors } = await drainedRun(engine, 3);
    const tookMs = (monotonicUs() - startUs) / 1000;
    await engine.close();
    t.deepEqual(errors, []);
    t.is(end.length, 3);
    t.true(tookMs >= 3 * BACKUP_TIMEOUT_MS, `3 calls, each set waiting ${BACKUP_TIMEOUT_MS} ms for its ack, took ${tookMs} ms`);
    t.is(toCount(await (await session.map()).get(session.config.counterKey), 'the counter'), Math.max(...end.values));
  } finally {
    await relays.down();
    await session.shutdown();
  }
});

const openFds = () => fs.readdirSync('/proc/self/fd').length;

/** The calls a drain has taken so far that succeeded, of one client, invoked at or after `sinceUs`. */
function okSince(taken: EngineCalls[], client: number, sinceUs: number): number {
  let ok = 0;
  for (const calls of taken) {
    for (let k = 0; k < calls.length; k++) {
      if (calls.clientIndex[k] === client && !calls.errors.has(k) && calls.invokeUs[k] >= sinceUs) ok++;
    }
  }
  return ok;
}

// As a client fails over: the other members forward its requests to the key's owner, whose own
// connection is refused (its relay down) while the member itself runs on.
for (const method of ['pessimistic', 'atomic'] as const) {
  clusterTest(`native ${method}: with the key's owner unreachable, each client goes on through another member`, async (t) => {
    const native = nativeHzLoader();
    if (native === undefined) return t.fail('the addon is not built');
    const session = await HazelcastSession.open(readHazelcastConfig(isolatedEnv(`failover-${method}`)));
    const relays = await relayEveryMember(session);
    const count = async () =>
      toCount(
        method === 'atomic'
          ? await (await session.atomicLong()).get()
          : await (await session.map()).get(session.config.counterKey),
        'the counter',
      );
    try {
      if (method === 'atomic') await (await session.atomicLong()).set(toLong(0));
      else await (await session.map()).set(session.config.counterKey, toLong(0));
      const engine = await openNativeHzEngine(native, session, method, 2, relays.routes);
      const taken: EngineCalls[] = [];
      const timer = setInterval(() => taken.push(engine.drain()), 20);
      // Open loop, a call every 5 ms per client for 5 s: time to cut the owner off and go on without it.
      const running = engine.run({ startUs: monotonicUs(), callsPerClient: 1000, intervalUs: 5000 });
      t.true(await waitUntil(async () => okSince(taken, 0, 0) > 5 && okSince(taken, 1, 0) > 5, 20_000), 'calls were made');
      const cutUs = monotonicUs();
      await relays.owner.down();
      const onOthers = () => okSince(taken, 0, cutUs) > 20 && okSince(taken, 1, cutUs) > 20;
      t.true(await waitUntil(onOthers, 20_000), 'every client counts again, the owner still cut off');
      taken.push(await running);
      clearInterval(timer);
      await engine.close();
      const errors = taken.flatMap((calls) => [...calls.errors.values()]) as CounterError[];
      const ok = taken.reduce((sum, calls) => sum + calls.length - calls.errors.size, 0);
      const maybe = errors.filter((err) => err.kind !== 'refused').length;
      t.true(errors.length <= 10, `a few calls failed at the cut, not the rest: ${errors.map((err) => err.message).join('; ')}`);
      const final = await count();
      t.log(`${ok} calls acknowledged, ${errors.length} failed at the cut (${maybe} of unknown fate), ${final} counted`);
      t.true(final >= ok && final <= ok + maybe, `${final} counted: ${ok} acknowledged, ${maybe} of unknown fate`);
      if (method === 'pessimistic') t.false(await (await session.map()).isLocked(session.config.counterKey), 'no lock left');
    } finally {
      await relays.down();
      await session.shutdown();
    }
  });
}

// fenced_lock, pessimistic: a user whose connection breaks holding the lock, or waiting for it, owes
// its unlock on its next connection (its lock sent again first: granted later, it would be held by
// no one; a map lock by the same client, which reconnects, so the cluster never frees it): else
// every other user would wait for the lock for ever.
for (const method of ['no_lock', 'fenced_lock', 'pessimistic'] as const) {
  clusterTest(`native ${method}: the member going away mid-run fails calls in one line each; they reconnect; the run ends`, async (t) => {
    const native = nativeHzLoader();
    if (native === undefined) return t.fail('the addon is not built');
    const fdsBefore = openFds();
    const env = isolatedEnv(`relay-${method}`);
    const session = await HazelcastSession.open(readHazelcastConfig(env));
    const [host, port] = keyOwner(session).address.split(':');
    const gateway = new TcpRelay(await freePort(), { host, port: Number(port) });
    await gateway.up();
    try {
      await (await session.map()).set(session.config.counterKey, toLong(0));
      const engine = await openNativeHzEngine(native, session, method, 2, {
        [keyOwner(session).address]: `127.0.0.1:${gateway.port}`,
      });
      const taken: EngineCalls[] = [];
      const timer = setInterval(() => taken.push(engine.drain()), 20);
      const okCount = () => taken.reduce((sum, calls) => sum + calls.length - calls.errors.size, 0);
      const startUs = monotonicUs();
      // Open loop, a call every 5 ms per client for 5 s: time to drop, see reconnects, and cut.
      const running = engine.run({ startUs, callsPerClient: 1000, intervalUs: 5000 });
      t.true(await waitUntil(async () => okCount() > 0, 20_000), 'calls were made');
      // A call certainly in flight when the member goes: its answer held, then the connection reset.
      await gateway.holdAnswers();
      await gateway.down();
      const errorCount = () => taken.reduce((sum, calls) => sum + calls.errors.size, 0);
      t.true(await waitUntil(async () => errorCount() > 1, 20_000), 'the call in flight failed, and the calls while the member was gone');
      const upUs = monotonicUs();
      await gateway.up();
      // Each client, not only one: a lock left by a lost call would let its own client on (the
      // lock is reentrant for it) and hold the other out for good.
      const counting = () => okSince(taken, 0, upUs) > 5 && okSince(taken, 1, upUs) > 5;
      t.true(await waitUntil(counting, 20_000), 'every client reconnected and counts again');
      await gateway.down();
      // With the member gone for good, the rest of the calls are refused: the run ends.
      taken.push(await running);
      clearInterval(timer);
      await engine.close();
      const errors = taken.flatMap((calls) => [...calls.errors.values()]) as CounterError[];
      for (const err of errors) {
        t.true(['refused', 'reset'].includes(err.kind), `${err.kind}: ${err.message}`);
        t.notRegex(err.message, /\n/);
      }
      t.true(
        errors.some((err) => err.kind === 'refused' && /: Error: No connection found to cluster$/.test(err.message)),
        errors.map((err) => err.message).join('; '),
      );
      // A call lost in flight: 'reset' once it may have written (no_lock's every step; fenced_lock's set).
      const lost = errors.filter((err) => /: Error: the member closed the connection$|ECONNRESET/.test(err.message));
      t.true(method === 'no_lock' ? lost.some((err) => err.kind === 'reset') : lost.length > 0);
      if (method === 'fenced_lock') t.false(await (await session.fencedLock()).isLocked(), 'no lock left held');
    } finally {
      await gateway.down();
      await session.shutdown();
    }
    t.true(await waitUntil(async () => openFds() <= fdsBefore, 10_000), `${openFds()} fds open, ${fdsBefore} before`);
  });
}

clusterTest('the tester CLI runs hazelcast on the native loop by default, on hazelcast-client with --engine js', async (t) => {
  const env = isolatedEnv('cli') as Record<string, string>;
  const args = ['hazelcast', '--method', 'atomic', '--n-clients', '2', '--n-calls-per-client', '50'];
  const native = await runThreads(t, args, env);
  t.regex(native.verdict, /^exact: 100 of 100 increments counted/);
  t.true(native.threads.includes('loop thread'), 'the native engine reports its loop thread');
  const js = await runThreads(t, [...args, '--engine', 'js'], env);
  t.false(js.threads.includes('loop thread'), 'the JS engine has none');
});
