/**
 * README (server variables): `PG_POOL_SIZE` (default 4): "PostgreSQL connections of the server's
 * one writer (of each worker with COALESCE=false)". Ten requests wait on a counter row another
 * session holds locked, each UPDATE on a connection of its own: the worker's connections, counted
 * in pg_stat_activity, fill up to PG_POOL_SIZE and no further; once the row is free every request
 * is served. Ports 19650-19659; database counters_test_pool_size.
 */
import { waitUntil } from '../tester/harness/wait-until.js';
import { type Backend, lockCounterRow, observer, serverBackends } from './helpers/pg-backends.js';
import { postInc, serverReadAll } from './helpers/held-requests.js';
import { startServer } from './helpers/server-process.js';
import { postgresTest } from './helpers/required-service.js';

const { serial } = await postgresTest();
const DB = 'counters_test_pool_size';
const REQUESTS = 10;
let nextPort = 19650;

const CASES: Array<{ title: string; env: Record<string, string>; size: number }> = [
  { title: 'PG_POOL_SIZE=3', env: { PG_POOL_SIZE: '3' }, size: 3 },
  // Empty reads as unset, whatever the caller's environment holds.
  { title: 'PG_POOL_SIZE unset (default 4)', env: { PG_POOL_SIZE: '' }, size: 4 },
];

for (const { title, env, size } of CASES) {
  serial(`${title}: a worker with COALESCE=false holds ${size} connections under load, no more`, async (t) => {
    const port = nextPort++;
    const admin = await observer(DB);
    const server = await startServer({
      STORAGE_METHOD: 'postgresql',
      POSTGRES_DB: DB,
      COALESCE: 'false',
      WORKERS: '1',
      // The requests wait on the lock far longer than the test takes: no statement may time out.
      PG_STATEMENT_TIMEOUT_MS: '120000',
      PORT: String(port),
      ...env,
    });
    try {
      const lock = await lockCounterRow(DB);
      let most = 0;
      let backends: Backend[] = [];
      let answers;
      try {
        const answering = Array.from({ length: REQUESTS }, () => postInc(port));
        // Every request reached the worker, and the pool's connections all wait on the row.
        const filled = await waitUntil(async () => {
          backends = await serverBackends(admin, DB, [lock.pid]);
          most = Math.max(most, backends.length);
          const waiting = backends.filter((backend) => backend.waitEventType === 'Lock').length;
          return waiting >= size && (await serverReadAll(port, REQUESTS));
        }, 30_000);
        t.true(filled, `${size} connections waiting on the row: ${JSON.stringify(backends)}`);
        backends = await serverBackends(admin, DB, [lock.pid]);
        most = Math.max(most, backends.length);
        t.is(most, size, `at most ${size} connections: ${JSON.stringify(backends)}`);
        await lock.release();
        answers = await Promise.all(answering);
      } finally {
        await lock.release();
      }
      t.deepEqual(
        answers.map((answer) => answer.status),
        Array(REQUESTS).fill(200),
        'every request served once the row is free',
      );
    } finally {
      await server.stop();
      await admin.close();
    }
  });
}
