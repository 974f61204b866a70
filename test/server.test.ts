import test from 'ava';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PgConnection, readPostgresConfig } from '../backends/postgresql/connection.js';
import { storeEnv } from '../tester/harness/store-catalogue.js';
import { runLoad } from '../tester/load/run-load.js';
import { waitUntil as waitFor } from '../tester/harness/wait-until.js';
import { httpRequest, runServerToExit, type ServerEnv, startServer } from './helpers/server-process.js';
import { requireServices } from './helpers/required-service.js';

// The tests needing a service: one that does not answer fails, COUNTERS_SKIP_*=1 skips (required-service.ts).
const services = await requireServices(['postgresql', 'hazelcast']);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'counters-server-test-'));
test.after.always(() => fs.rmSync(tmp, { recursive: true, force: true }));

const PG_ENV = { ...storeEnv('postgresql'), POSTGRES_DB: 'counters_test_server', DB_HOST: '127.0.0.1' };

const COUNTER_FILE = path.join(tmp, 'counter.txt');
const HZ_COUNTER = 'counters-test-server';
const STORES: Array<{ title: string; env: ServerEnv; persistent: boolean }> = [
  { title: 'shared memory (flock)', env: storeEnv('shared_memory_flock'), persistent: false },
  { title: 'shared memory (atomic)', env: storeEnv('shared_memory_atomic'), persistent: false },
  { title: 'disk', env: storeEnv('disk', COUNTER_FILE), persistent: true },
  { title: 'postgresql', env: PG_ENV, persistent: true },
  // The shared cluster (run under flock /tmp/counters-services.lock), on an atomic long of its own.
  { title: 'hazelcast', env: { ...storeEnv('hazelcast'), HZ_ATOMIC_LONG_NAME: HZ_COUNTER }, persistent: true },
];

let nextPort = 18180;

for (const store of STORES) {
  services.forStore(store.env).serial(
    `${store.title}: 10 keep-alive clients x 2000 with 2 workers count exactly, values distinct`,
    async (t) => {
      const port = nextPort++;
      const server = await startServer({ ...store.env, WORKERS: '2', PORT: String(port) });
      try {
        const result = await runLoad({
          spec: { backend: 'web', targets: [{ host: '127.0.0.1', port }], timeoutMs: 10_000 },
          clientCount: 10,
          callsPerClient: 2000,
        });
        t.deepEqual(result.errors, {});
        t.is(result.totalCalls, 20_000);
        t.is(result.finalCount, 20_000);
        const { unique } = result.check.checks;
        t.true(
          'duplicateCount' in unique && unique.duplicateCount === 0 && unique.valuedCount === 20_000,
          'every response carries a distinct count',
        );
        t.true('maxValue' in unique && unique.maxValue === 20_000);
        t.deepEqual((await httpRequest(port, 'GET', '/count')).json, { count: 20_000 });
        t.deepEqual((await httpRequest(port, 'POST', '/reset')).json, { count: 0 });
        t.deepEqual((await httpRequest(port, 'GET', '/count')).json, { count: 0 });
        const health = await httpRequest(port, 'GET', '/health');
        t.is(health.status, 200);
        t.like(health.json, { status: 'ok', workers: 2 });
      } finally {
        t.is(await server.stop(), 0, 'SIGTERM ends the server with exit code 0');
      }
    },
  );

  if (store.persistent) {
    services.forStore(store.env).serial(`${store.title}: the count survives a restart`, async (t) => {
      const port = nextPort++;
      const env = { ...store.env, PORT: String(port) };
      let server = await startServer(env);
      await httpRequest(port, 'POST', '/reset');
      for (let i = 0; i < 5; i++) await httpRequest(port, 'POST', '/inc');
      await server.stop();
      server = await startServer(env);
      try {
        t.deepEqual((await httpRequest(port, 'GET', '/count')).json, { count: 5 });
        t.deepEqual((await httpRequest(port, 'POST', '/inc')).json, { count: 6 });
      } finally {
        await server.stop();
      }
    });
  }
}

services.need('postgresql').serial('postgresql: connections lost while idle are replaced, not handed a request that would fail', async (t) => {
  const port = nextPort++;
  const admin = await PgConnection.open(readPostgresConfig({ ...process.env, ...PG_ENV, POSTGRES_DB: 'postgres' }));
  const server = await startServer({ ...PG_ENV, PORT: String(port), PG_POOL_SIZE: '4' }).catch(async (err) => {
    await admin.close();
    throw err;
  });
  try {
    // Fill the pool with idle connections, then end them all from the server side.
    await Promise.all(Array.from({ length: 8 }, () => httpRequest(port, 'POST', '/inc')));
    const others = `FROM pg_stat_activity WHERE datname = '${PG_ENV.POSTGRES_DB}' AND pid <> pg_backend_pid()`;
    await admin.query(`SELECT pg_terminate_backend(pid) ${others}`);
    const ended = await waitFor(
      async () => Number((await admin.query<{ n: string }>(`SELECT count(*) AS n ${others}`))[0].n) === 0,
      10_000,
      20,
    );
    t.true(ended, 'the backends are gone');
    for (let i = 0; i < 4; i++)
      t.is((await httpRequest(port, 'POST', '/inc')).status, 200, `request ${i + 1} after the backends were ended`);
  } finally {
    await admin.close();
    await server.stop();
  }
});

test.serial('answers 404, 405 with Allow, and 413 as JSON errors', async (t) => {
  const port = nextPort++;
  const server = await startServer({ PORT: String(port) });
  try {
    const missing = await httpRequest(port, 'GET', '/nope');
    t.is(missing.status, 404);
    t.truthy((missing.json as { error: string }).error);
    const wrongMethod = await httpRequest(port, 'GET', '/inc');
    t.is(wrongMethod.status, 405);
    t.is(wrongMethod.headers.get('allow'), 'POST');
    t.is((await httpRequest(port, 'POST', '/count')).headers.get('allow'), 'GET');
    const big = await httpRequest(port, 'POST', '/inc', 'x'.repeat(2000));
    t.is(big.status, 413);
    t.truthy((big.json as { error: string }).error);
    const small = await httpRequest(port, 'POST', '/inc', '{"note":"a small body is fine"}');
    t.is(small.status, 200);
    t.deepEqual((await httpRequest(port, 'GET', '/count')).json, { count: 1 }, 'the refused request did not count');
  } finally {
    await server.stop();
  }
});

services.need('postgresql').serial('a client that disconnects mid-request does not crash a PostgreSQL worker', async (t) => {
  const port = nextPort++;
  const server = await startServer({ ...PG_ENV, PORT: String(port) });
  try {
    for (let i = 0; i < 50; i++) {
      const socket = net.connect(port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.end('POST /inc HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n');
      socket.destroy();
    }
    // Batches leave in order: once a later increment is answered, the abandoned ones were answered (or dropped) too.
    t.is((await httpRequest(port, 'POST', '/inc')).status, 200);
    t.is((await httpRequest(port, 'GET', '/health')).status, 200);
    t.notRegex(server.output(), /died/);
  } finally {
    await server.stop();
  }
});

test.serial('shutdown unlinks the shared memory segment', async (t) => {
  const port = nextPort++;
  const server = await startServer({ PORT: String(port), WORKERS: '2' });
  const segment = `/dev/shm/counters-127.0.0.1-${port}`;
  t.true(fs.existsSync(segment));
  t.is((fs.statSync(segment).mode & 0o777).toString(8), '600');
  await server.stop();
  t.false(fs.existsSync(segment));
});

const BAD_CONFIGS: Array<{ env: ServerEnv; message: RegExp }> = [
  {
    env: { STORAGE_METHOD: 'redis' },
    message: /STORAGE_METHOD="redis" is invalid: use one of shared_memory, disk, postgresql/,
  },
  { env: { STORAGE_METHOD: 'disk' }, message: /STORAGE_METHOD=disk needs a counter file: set STORAGE_PATH/ },
  { env: { PORT: 'eighty' }, message: /PORT="eighty" is invalid/ },
  { env: { WORKERS: '0' }, message: /WORKERS="0" is invalid/ },
  { env: { SHM_INCREMENT: 'spin' }, message: /SHM_INCREMENT="spin" is invalid/ },
  { env: { UWS_USE_FALLBACK: 'true' }, message: /runs only on the native uWebSockets.js binary/ },
  { env: { DISK_FSYNC: 'maybe' }, message: /DISK_FSYNC="maybe" is invalid: use true or false/ },
  { env: { ...PG_ENV, POSTGRES_PASSWORD: 'wrong' }, message: /password authentication failed.*POSTGRES_PASSWORD/ },
  {
    env: { ...PG_ENV, DB_PORT: '5999' },
    message: /cannot connect to PostgreSQL at 127\.0\.0\.1:5999.*DB_HOST and DB_PORT/,
  },
];

for (const { env, message } of BAD_CONFIGS) {
  test(`bad config ${JSON.stringify(env)} is one line and a non-zero exit`, async (t) => {
    const { code, stderr } = await runServerToExit({ PORT: String(nextPort++), ...env });
    t.not(code, 0);
    t.regex(stderr, message);
    t.is(stderr.trim().split('\n').length, 1, stderr);
    t.notRegex(stderr, /\n\s+at /, 'no stack trace');
  });
}

test('a disk file that does not hold a number stops the server at startup, naming the file', async (t) => {
  const file = path.join(tmp, 'corrupt.txt');
  fs.writeFileSync(file, 'not a number\n', { mode: 0o600 });
  const { code, stderr } = await runServerToExit({
    STORAGE_METHOD: 'disk',
    STORAGE_PATH: file,
    PORT: String(nextPort++),
  });
  t.not(code, 0);
  t.true(stderr.includes(file), stderr);
  t.is(stderr.trim().split('\n').length, 1);
  t.is(fs.readFileSync(file, 'utf8'), 'not a number\n', 'the file is left as it was');
});

test('a port in use is refused rather than shared', async (t) => {
  const port = nextPort++;
  const blocker = net.createServer().listen(port, '127.0.0.1');
  await new Promise((resolve) => blocker.once('listening', resolve));
  try {
    const { code, stderr } = await runServerToExit({ PORT: String(port) });
    t.not(code, 0);
    t.regex(stderr, /already in use/);
  } finally {
    blocker.close();
  }
});
