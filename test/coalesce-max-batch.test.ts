/**
 * README (server variables): `COALESCE_MAX_BATCH` (default 256): "most increments one coalesced
 * write carries". One request's UPDATE waits on a counter row another session holds locked; n
 * more requests queue behind it in the worker's coalescer (the server has read every one of them);
 * the lock goes, and PostgreSQL counts the UPDATEs that followed (pg_stat_user_tables.n_tup_upd).
 * 512 queued increments take 2 UPDATEs and 513 take 3: the cap is 256 exactly. Ports
 * 19660-19669; database counters_test_max_batch.
 */
import { waitUntil } from '../tester/harness/wait-until.js';
import { lockCounterRow, observer, serverBackends } from './helpers/pg-backends.js';
import { type Answer, postInc, serverReadAll } from './helpers/held-requests.js';
import { updateCount } from './helpers/pg-update-count.js';
import { startServer } from './helpers/server-process.js';
import { postgresTest } from './helpers/required-service.js';

const { serial } = await postgresTest();
const DB = 'counters_test_max_batch';
let nextPort = 19660;

/** UPDATEs the server ran for one held request and `queued` requests behind it; every answer. */
async function updatesFor(queued: number): Promise<{ updates: number; answers: Answer[] }> {
  const port = nextPort++;
  const admin = await observer(DB);
  await admin.close();
  const before = await updateCount(DB);
  const server = await startServer({
    STORAGE_METHOD: 'postgresql',
    POSTGRES_DB: DB,
    WORKERS: '1',
    COALESCE: 'true',
    // The empty value reads as unset: the default, whatever the caller's environment holds.
    COALESCE_MAX_BATCH: '',
    // The held UPDATE must not time out while the queue fills on a busy machine.
    PG_STATEMENT_TIMEOUT_MS: '120000',
    PORT: String(port),
  });
  const watcher = await observer(DB);
  let answers: Answer[];
  try {
    const lock = await lockCounterRow(DB);
    try {
      const first = postInc(port);
      const held = await waitUntil(
        async () => (await serverBackends(watcher, DB, [lock.pid])).some((b) => b.waitEventType === 'Lock'),
        20_000,
      );
      if (!held) throw new Error('the first UPDATE never waited on the row');
      const rest = Array.from({ length: queued }, () => postInc(port));
      const allRead = await waitUntil(() => serverReadAll(port, queued + 1), 60_000);
      if (!allRead) throw new Error(`the server did not read all ${queued + 1} requests`);
      await lock.release();
      answers = await Promise.all([first, ...rest]);
    } finally {
      await lock.release();
    }
  } finally {
    await watcher.close();
    // Stopped first: its backends exit and report their statistics.
    await server.stop();
  }
  return { updates: (await updateCount(DB)) - before, answers };
}

for (const { queued, updates } of [
  { queued: 512, updates: 1 + 2 },
  { queued: 513, updates: 1 + 3 },
]) {
  serial(`COALESCE_MAX_BATCH unset: ${queued} queued increments go out in ${updates - 1} UPDATEs of at most 256`, async (t) => {
    const run = await updatesFor(queued);
    t.deepEqual(
      run.answers.filter((answer) => answer.status !== 200),
      [],
      'every request served',
    );
    const values = run.answers.map((answer) => (JSON.parse(answer.body) as { count: number }).count).sort((a, b) => a - b);
    t.is(new Set(values).size, queued + 1, 'distinct values');
    t.is(values.at(-1)! - values[0], queued, 'consecutive values');
    t.is(run.updates, updates, 'the held UPDATE, then the queue in batches of 256');
  });
}
