/**
 * README (server variables): `PG_STATEMENT_TIMEOUT_MS`: "a statement unanswered this long fails
 * (503) and its connection is replaced". The server's one connection (PG_POOL_SIZE=1) sends an
 * UPDATE on a row another session holds locked: the request is answered 503 after the timeout,
 * while the row is still locked; once the lock is gone, the next request is served by a new
 * backend and the old one is gone. Port 19640; database counters_test_statement_timeout.
 */
import { waitUntil } from '../tester/harness/wait-until.js';
import { lockCounterRow, observer, serverBackends } from './helpers/pg-backends.js';
import { postInc } from './helpers/held-requests.js';
import { startServer } from './helpers/server-process.js';
import { postgresTest } from './helpers/required-service.js';

const { serial } = await postgresTest();
const PORT = 19640;
const DB = 'counters_test_statement_timeout';
const TIMEOUT_MS = 1000;

serial('PG_STATEMENT_TIMEOUT_MS: a statement held past it answers 503, and its connection is replaced', async (t) => {
  const admin = await observer(DB);
  const server = await startServer({
    STORAGE_METHOD: 'postgresql',
    POSTGRES_DB: DB,
    WORKERS: '1',
    PG_POOL_SIZE: '1',
    PG_STATEMENT_TIMEOUT_MS: String(TIMEOUT_MS),
    PORT: String(PORT),
  });
  try {
    t.is((await postInc(PORT)).status, 200);
    const [first, ...more] = await serverBackends(admin, DB);
    t.deepEqual(more, [], 'PG_POOL_SIZE=1: one connection');

    const lock = await lockCounterRow(DB);
    let answer;
    try {
      const sentAt = performance.now();
      const answering = postInc(PORT);
      const waits = await waitUntil(async () => {
        const backends = await serverBackends(admin, DB, [lock.pid]);
        return backends.some((backend) => backend.pid === first.pid && backend.waitEventType === 'Lock');
      }, 20_000);
      t.true(waits, 'the UPDATE reached PostgreSQL and waits for the row');
      answer = await answering;
      const elapsedMs = performance.now() - sentAt;
      t.log(`answered ${answer.status} after ${Math.round(elapsedMs)} ms, the row still locked`);
      t.true(elapsedMs >= TIMEOUT_MS, `not before the timeout (${elapsedMs} ms)`);
    } finally {
      await lock.release();
    }
    t.is(answer.status, 503);
    t.deepEqual(JSON.parse(answer.body), { error: 'storage unavailable' });

    t.is((await postInc(PORT)).status, 200, 'served again once the row is free');
    let backends: number[] = [];
    const replaced = await waitUntil(async () => {
      backends = (await serverBackends(admin, DB)).map((backend) => backend.pid);
      return backends.length === 1 && backends[0] !== first.pid;
    }, 20_000);
    t.true(replaced, `a new backend serves, the old one (${first.pid}) is gone: ${backends}`);
    t.regex(server.output(), /no answer from PostgreSQL within 1000 ms \(PG_STATEMENT_TIMEOUT_MS\)/);
  } finally {
    await server.stop();
    await admin.close();
  }
});
