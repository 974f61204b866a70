import test from 'ava';
import { PgConnection, readPostgresConfig } from '../backends/postgresql/connection.js';
import { IncrementCoalescer } from '../server/stores/increment-coalescer.js';
import { runLoad } from '../tester/load/run-load.js';
import { type ServerEnv, type ServerProcess, startServer } from './helpers/server-process.js';

const PG_DB = 'counters_test_distributed';
const HZ_NAME = `web-distributed-${process.pid}`;

/** Several servers over one engine, standing in for hosts: different ports and loopback addresses. */
async function startServers(env: ServerEnv, hosts: Array<{ host: string; port: number }>): Promise<ServerProcess[]> {
  return Promise.all(
    hosts.map(({ host, port }) => startServer({ ...env, HOST: host, PORT: String(port), WORKERS: '2' })),
  );
}

async function loadServers(hosts: Array<{ host: string; port: number }>, callsPerClient = 2000) {
  return runLoad({ spec: { backend: 'web', targets: hosts, timeoutMs: 10_000 }, clientCount: 10, callsPerClient });
}

const SCENARIOS: Array<{ title: string; env: ServerEnv; hosts: Array<{ host: string; port: number }> }> = [
  {
    title: 'PostgreSQL store, coalescing, servers on 127.0.0.1 and 127.0.0.2',
    env: { STORAGE_METHOD: 'postgresql', POSTGRES_DB: PG_DB },
    hosts: [
      { host: '127.0.0.1', port: 18901 },
      { host: '127.0.0.2', port: 18901 },
    ],
  },
  {
    title: 'PostgreSQL store, coalescing off',
    env: { STORAGE_METHOD: 'postgresql', POSTGRES_DB: PG_DB, COALESCE: 'false' },
    hosts: [
      { host: '127.0.0.1', port: 18902 },
      { host: '127.0.0.1', port: 18903 },
    ],
  },
  {
    title: 'Hazelcast store, servers on 127.0.0.2 and 127.0.0.3',
    env: { STORAGE_METHOD: 'hazelcast', HZ_ATOMIC_LONG_NAME: HZ_NAME },
    hosts: [
      { host: '127.0.0.2', port: 18904 },
      { host: '127.0.0.3', port: 18904 },
    ],
  },
  {
    title: 'Hazelcast store, coalescing off',
    env: { STORAGE_METHOD: 'hazelcast', HZ_ATOMIC_LONG_NAME: HZ_NAME, COALESCE: 'false' },
    hosts: [
      { host: '127.0.0.1', port: 18905 },
      { host: '127.0.0.1', port: 18906 },
    ],
  },
];

for (const { title, env, hosts } of SCENARIOS) {
  test.serial(`${title}: 10 clients x 2000 over two servers, exact and linearizable`, async (t) => {
    const servers = await startServers(env, hosts);
    try {
      const result = await loadServers(hosts);
      t.is(result.totalCalls, 20_000);
      t.is(result.finalCount, 20_000);
      t.is(result.check.valid, true, result.verdict);
      t.true(result.passed);
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
    }
  });
}

test.serial('PostgreSQL store: statements killed mid-run answer 503 and the count stays within bounds', async (t) => {
  const hosts = [{ host: '127.0.0.1', port: 18907 }];
  const servers = await startServers({ STORAGE_METHOD: 'postgresql', POSTGRES_DB: PG_DB }, hosts);
  const admin = await PgConnection.open({ ...readPostgresConfig(), database: PG_DB });
  let killing = true;
  const killer = (async () => {
    // Terminating the servers' backends fails the statements in flight, as a database crash would.
    while (killing) {
      await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = " +
          "'counters' AND pid <> pg_backend_pid()",
        [PG_DB],
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  try {
    const result = await loadServers(hosts, 1000);
    killing = false;
    await killer;
    t.true((result.errors.http_status ?? 0) > 0, 'some requests were answered 503');
    t.is(result.check.checks.count.valid, true, result.verdict);
    t.is(result.check.checks.unique.valid, true, result.verdict);
    t.is(result.check.checks.realTimeOrder.valid, true, result.verdict);
  } finally {
    killing = false;
    await admin.close();
    await Promise.all(servers.map((server) => server.stop()));
  }
});

test('the coalescer hands each batch distinct values and fails a whole batch together', async (t) => {
  let total = 0;
  const batches: number[] = [];
  const failingBatch = 5;
  const coalescer = new IncrementCoalescer(async (k) => {
    batches.push(k);
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (batches.length === failingBatch) throw new Error('statement failed');
    return (total += k);
  }, 4);
  const first = await Promise.all(Array.from({ length: 9 }, () => coalescer.increment()));
  t.deepEqual(first, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  t.deepEqual(batches, [4, 4, 1], 'requests of one event-loop turn share writes of at most 4');
  const lone = coalescer.increment();
  // The next turn: the lone request's write is in flight, so the three wait for a batch of their own.
  await new Promise((resolve) => setImmediate(resolve));
  const settled = await Promise.allSettled(Array.from({ length: 3 }, () => coalescer.increment()));
  t.is(await lone, 10);
  t.deepEqual(
    settled.map((s) => s.status),
    ['rejected', 'rejected', 'rejected'],
    'the failed batch fails all its requests',
  );
  t.is(total, 10, 'nothing of the failed batch was counted');
  t.deepEqual(
    await Promise.all([coalescer.increment(), coalescer.increment()]),
    [11, 12],
    'and the next batch carries on',
  );
});

test('the coalescer sends the next write before it answers the batch just written', async (t) => {
  const events: string[] = [];
  let total = 0;
  const coalescer = new IncrementCoalescer(async (k) => {
    events.push(`write ${k}`);
    await new Promise((resolve) => setImmediate(resolve));
    return (total += k);
  }, 2);
  await Promise.all([1, 2, 3].map(() => coalescer.increment().then((value) => events.push(`answer ${value}`))));
  t.deepEqual(events, ['write 2', 'write 1', 'answer 1', 'answer 2', 'answer 3']);
});
