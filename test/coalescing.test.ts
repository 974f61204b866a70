/**
 * COALESCE batches increments into one UPDATE per batch, at most COALESCE_MAX_BATCH each, and
 * stays exact. Shown with PostgreSQL's own count of the rows its UPDATEs changed
 * (pg_stat_user_tables.n_tup_upd of web_counter: one per statement, each updates the one row).
 * Ports 18780-18789.
 */
import { runLoad } from '../tester/load/run-load.js';
import { updateCount } from './helpers/pg-update-count.js';
import { startServer } from './helpers/server-process.js';
import { requireServices } from './helpers/required-service.js';

// The tests needing a service: one that does not answer fails, COUNTERS_SKIP_*=1 skips (required-service.ts).
const services = await requireServices(['postgresql']);
const pg = services.need('postgresql');

const PG_DB = 'counters_test_coalescing';
const CLIENTS = 10;
const CALLS = 300;
const TOTAL = CLIENTS * CALLS;
let nextPort = 18780;

/** One server with one worker (so one coalescer), 10 clients x 300 increments; UPDATEs it took. */
async function updatesFor(env: Record<string, string>): Promise<{ updates: number; verdict: string; exact: boolean }> {
  const port = nextPort++;
  const store = { STORAGE_METHOD: 'postgresql', POSTGRES_DB: PG_DB, DB_HOST: '127.0.0.1', WORKERS: '1' };
  const before = await updateCount(PG_DB);
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
  return { updates: (await updateCount(PG_DB)) - before - 1, verdict: result.verdict, exact };
}

pg.serial('COALESCE=false: one UPDATE per increment', async (t) => {
  const { updates, verdict, exact } = await updatesFor({ COALESCE: 'false' });
  t.log(`${TOTAL} increments, ${updates} UPDATEs`);
  t.true(exact, verdict);
  t.is(updates, TOTAL);
});

pg.serial('COALESCE on: concurrent increments share UPDATEs, and the count stays exact', async (t) => {
  const { updates, verdict, exact } = await updatesFor({});
  t.log(`${TOTAL} increments, ${updates} UPDATEs: ${(TOTAL / updates).toFixed(1)} per UPDATE`);
  t.true(exact, verdict);
  t.true(updates >= 1 && updates <= TOTAL / 2, `batches average 2 or more (${updates} UPDATEs)`);
});

pg.serial('COALESCE_MAX_BATCH=2: no UPDATE carries more than 2 increments, yet they are batched', async (t) => {
  const { updates, verdict, exact } = await updatesFor({ COALESCE_MAX_BATCH: '2' });
  t.log(`${TOTAL} increments, ${updates} UPDATEs`);
  t.true(exact, verdict);
  t.true(updates >= TOTAL / 2, `at most 2 per UPDATE (${updates} UPDATEs)`);
  t.true(updates <= TOTAL * 0.75, `most UPDATEs carry 2 (${updates} UPDATEs)`);
});
