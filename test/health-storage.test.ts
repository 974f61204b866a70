/**
 * README (API): `GET /health` answers `{"status":"ok","storage":"shared_memory (flock,
 * /counters-0.0.0.0-8080)","workers":1,"pid":1234}`. Every store, and where it coalesces, is named
 * in `storage` with where its count lives; `workers` is WORKERS and `pid` the answering worker.
 * The Hazelcast rows use the shared cluster: run this file under flock /tmp/counters-services.lock.
 * Ports 19680-19699.
 */
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readPostgresConfig } from '../backends/postgresql/connection.js';
import { readHazelcastConfig } from '../backends/hazelcast/config.js';
import { httpRequest, startServer } from './helpers/server-process.js';
import { workerPids } from './helpers/processes.js';
import { requireServices } from './helpers/required-service.js';

const services = await requireServices(['postgresql', 'hazelcast']);
const serial = {
  postgresql: services.need('postgresql').serial,
  hazelcast: services.need('hazelcast').serial,
  none: test.serial,
};
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'counters-health-storage-'));
test.after.always(() => fs.rmSync(tmp, { recursive: true, force: true }));

const FILE = path.join(tmp, 'counter.txt');
const PG_DB = 'counters_test_health';
const pg = readPostgresConfig(process.env);
const PG_WHERE = `${pg.host}:${pg.port}/${PG_DB}`;
const HZ_NAME = 'counters-test-health';
const HZ_WHERE = `CP IAtomicLong ${HZ_NAME} on ${readHazelcastConfig(process.env).members.join(',')}`;

type Needs = 'postgresql' | 'hazelcast' | undefined;
const CASES: Array<{ env: Record<string, string>; storage: (port: number) => string; needs?: Needs }> = [
  { env: { STORAGE_METHOD: 'shared_memory' }, storage: (port) => `shared_memory (flock, /counters-127.0.0.1-${port})` },
  {
    env: { STORAGE_METHOD: 'shared_memory', SHM_INCREMENT: 'atomic', WORKERS: '2' },
    storage: (port) => `shared_memory (atomic, /counters-127.0.0.1-${port})`,
  },
  { env: { STORAGE_PATH: FILE }, storage: () => `disk (${FILE})` },
  { env: { STORAGE_PATH: FILE, DISK_FSYNC: 'true' }, storage: () => `disk (${FILE}, fdatasync)` },
  {
    env: { STORAGE_METHOD: 'postgresql', POSTGRES_DB: PG_DB },
    storage: () => `postgresql (${PG_WHERE}), coalescing in this worker`,
    needs: 'postgresql',
  },
  {
    env: { STORAGE_METHOD: 'postgresql', POSTGRES_DB: PG_DB, WORKERS: '2' },
    storage: () => `postgresql (${PG_WHERE}), coalescing in one writer for 2 workers`,
    needs: 'postgresql',
  },
  {
    env: { STORAGE_METHOD: 'postgresql', POSTGRES_DB: PG_DB, COALESCE: 'false' },
    storage: () => `postgresql (${PG_WHERE})`,
    needs: 'postgresql',
  },
  {
    env: { STORAGE_METHOD: 'hazelcast', HZ_ATOMIC_LONG_NAME: HZ_NAME },
    storage: () => `hazelcast (${HZ_WHERE}), coalescing in this worker`,
    needs: 'hazelcast',
  },
  {
    env: { STORAGE_METHOD: 'hazelcast', HZ_ATOMIC_LONG_NAME: HZ_NAME, WORKERS: '2' },
    storage: () => `hazelcast (${HZ_WHERE}), coalescing in one writer for 2 workers`,
    needs: 'hazelcast',
  },
];

let nextPort = 19680;

for (const { env, storage, needs } of CASES) {
  const settings = Object.entries(env)
    .map(([name, value]) => `${name}=${value === FILE ? 'FILE' : value}`)
    .join(' ');
  serial[needs ?? 'none'](`/health names the storage: ${settings}`, async (t) => {
    const port = nextPort++;
    // Every setting not given is the default, whatever the caller's environment holds.
    const defaults = { STORAGE_METHOD: '', WORKERS: '', COALESCE: '', DISK_FSYNC: '', SHM_INCREMENT: '' };
    const server = await startServer({ ...defaults, ...env, PORT: String(port) });
    try {
      const health = await httpRequest(port, 'GET', '/health');
      t.is(health.status, 200);
      const workers = Number(env.WORKERS ?? 1);
      const { pid, ...rest } = health.json as { pid: number };
      t.deepEqual(rest, { status: 'ok', storage: storage(port), workers });
      t.true((await workerPids(server.pid)).includes(pid), `pid ${pid} is one of the server's workers`);
    } finally {
      await server.stop();
    }
  });
}
