import { setTimeout as sleep } from 'node:timers/promises';
import { PgConnection, readPostgresConfig } from '../backends/postgresql/connection.js';
import { runLoad } from '../tester/load/run-load.js';
import { type StoreName, storeEnv } from '../tester/harness/store-catalogue.js';
import { type ServerEnv, type ServerProcess, startServer } from './helpers/server-process.js';
import { requireServices } from './helpers/required-service.js';

// The tests needing a service: one that does not answer fails, COUNTERS_SKIP_*=1 skips (required-service.ts).
const services = await requireServices(['postgresql', 'hazelcast']);

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

type Hosts = Array<{ host: string; port: number }>;
const SCENARIOS: Array<{ title: string; store: StoreName; hosts: Hosts }> = [
  {
    title: 'PostgreSQL store, coalescing, servers on 127.0.0.1 and 127.0.0.2',
    store: 'postgresql',
    hosts: [
      { host: '127.0.0.1', port: 18901 },
      { host: '127.0.0.2', port: 18901 },
    ],
  },
  {
    title: 'PostgreSQL store, coalescing off',
    store: 'postgresql_uncoalesced',
    hosts: [
      { host: '127.0.0.1', port: 18902 },
      { host: '127.0.0.1', port: 18903 },
    ],
  },
  {
    title: 'Hazelcast store, servers on 127.0.0.2 and 127.0.0.3',
    store: 'hazelcast',
    hosts: [
      { host: '127.0.0.2', port: 18904 },
      { host: '127.0.0.3', port: 18904 },
    ],
  },
  {
    title: 'Hazelcast store, coalescing off',
    store: 'hazelcast_uncoalesced',
    hosts: [
      { host: '127.0.0.1', port: 18905 },
      { host: '127.0.0.1', port: 18906 },
    ],
  },
];

/** One database and one IAtomicLong of this file's own, whichever the store. */
const envOf = (store: StoreName): ServerEnv => ({
  ...storeEnv(store),
  POSTGRES_DB: PG_DB,
  HZ_ATOMIC_LONG_NAME: HZ_NAME,
});

for (const { title, store, hosts } of SCENARIOS) {
  services.forStore(envOf(store)).serial(`${title}: 10 clients x 2000 over two servers, exact and linearizable`, async (t) => {
    const servers = await startServers(envOf(store), hosts);
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

services.need('postgresql').serial('PostgreSQL store: statements killed mid-run answer 503 and the count stays within bounds', async (t) => {
  const hosts = [{ host: '127.0.0.1', port: 18907 }];
  const servers = await startServers(envOf('postgresql'), hosts);
  const admin = await PgConnection.open({ ...readPostgresConfig(), database: PG_DB });
  let killing = true;
  const killer = (async () => {
    // Terminating the servers' backends fails the statements in flight, as a database crash would.
    while (killing) {
      await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = ' +
          "'counters' AND pid <> pg_backend_pid()",
        [PG_DB],
      );
      await sleep(100);
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
