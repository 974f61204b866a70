/**
 * COALESCE batches increments into one UPDATE per batch, at most COALESCE_MAX_BATCH each, and
 * stays exact. Shown with PostgreSQL's own count of the rows its UPDATEs changed
 * (pg_stat_user_tables.n_tup_upd of web_counter: one per statement, each updates the one row).
 * Ports 18780-18789.
 */
import test from 'ava';
import { ensureDatabase, PgConnection, readPostgresConfig } from '../backends/postgresql/connection.js';
import { runLoad } from '../tester/load/run-load.js';
import { startServer } from './helpers/server-process.js';
import { waitUntil as waitFor } from '../tester/harness/wait-until.js';

const PG_DB = 'counters_test_coalescing';
const UPDATES_SQL = "SELECT n_tup_upd AS n FROM pg_stat_user_tables WHERE relname = 'web_counter'";
const CLIENTS = 10;
const CALLS = 300;
const TOTAL = CLIENTS * CALLS;
let nextPort = 18780;

/** UPDATE statements run on web_counter so far, once every other backend on the database has exited. */
async function updateCount(): Promise<number> {
  const config = { ...readPostgresConfig({ ...process.env, DB_HOST: '127.0.0.1' }), database: PG_DB };
  // On a new cluster the first count comes before any server has created the database.
  await ensureDatabase(config);
  const admin = await PgConnection.open(config);
  try {
    // A backend flushes its statistics before it leaves pg_stat_activity, so once the server's are gone
    // every UPDATE they ran is counted; a quiet interval instead would undercount a backend slow to exit.
    const othersSql = 'SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()';
    const othersLeft = async () => Number((await admin.query<{ n: string }>(othersSql, [PG_DB]))[0].n);
    const othersGone = await waitFor(async () => (await othersLeft()) === 0, 20_000, 50);
    if (!othersGone) throw new Error(`backends still connected to ${PG_DB} after 20 s`);
    await admin.query('SELECT pg_stat_clear_snapshot()');
    const rows = await admin.query<{ n: string }>(UPDATES_SQL);
    return Number(rows[0]?.n ?? 0);
  } finally {
    await admin.close();
  }
}

/** One server with one worker (so one coalescer), 10 clients x 300 increments; UPDATEs it took. */
async function updatesFor(env: Record<string, string>): Promise<{ updates: number; verdict: string; exact: boolean }> {
  const port = nextPort++;
  const store = { STORAGE_METHOD: 'postgresql', POSTGRES_DB: PG_DB, DB_HOST: '127.0.0.1', WORKERS: '1' };
  const before = await updateCount();
  const server = await startServer({ ...store, ...env, PORT: String(port) });
  let result;
  try {
    const spec = { backend: 'web' as const, targets: [{ host: '127.0.0.1', port }], timeoutMs: 10_000 };
    result = await runLoad({ spec, clientCount: CLIENTS, callsPerClient: CALLS });
  } finally {
    // Stopped first: its backends exit and report their statistics.
    await server.stop();
  }
  const exact = result.check.valid === true && result.totalCalls === TOTAL && result.finalCount === TOTAL;
  // The tester's reset before the run is one UPDATE more.
  return { updates: (await updateCount()) - before - 1, verdict: result.verdict, exact };
}

test.serial('COALESCE=false: one UPDATE per increment', async (t) => {
  const { updates, verdict, exact } = await updatesFor({ COALESCE: 'false' });
  t.log(`${TOTAL} increments, ${updates} UPDATEs`);
  t.true(exact, verdict);
  t.is(updates, TOTAL);
});

test.serial('COALESCE on: concurrent increments share UPDATEs, and the count stays exact', async (t) => {
  const { updates, verdict, exact } = await updatesFor({});
  t.log(`${TOTAL} increments, ${updates} UPDATEs: ${(TOTAL / updates).toFixed(1)} per UPDATE`);
  t.true(exact, verdict);
  t.true(updates >= 1 && updates <= TOTAL / 2, `batches average 2 or more (${updates} UPDATEs)`);
});

test.serial('COALESCE_MAX_BATCH=2: no UPDATE carries more than 2 increments, yet they are batched', async (t) => {
  const { updates, verdict, exact } = await updatesFor({ COALESCE_MAX_BATCH: '2' });
  t.log(`${TOTAL} increments, ${updates} UPDATEs`);
  t.true(exact, verdict);
  t.true(updates >= TOTAL / 2, `at most 2 per UPDATE (${updates} UPDATEs)`);
  t.true(updates <= TOTAL * 0.75, `most UPDATEs carry 2 (${updates} UPDATEs)`);
});
