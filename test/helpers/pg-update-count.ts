/** PostgreSQL's own count of the UPDATEs run on web_counter, for tests that count a server's writes. */
import { PgConnection, readPostgresConfig } from '../../backends/postgresql/connection.js';
import { ensureDatabase } from '../../backends/postgresql/prepare-database.js';
import { waitUntil as waitFor } from '../../tester/harness/wait-until.js';

const UPDATES_SQL = "SELECT n_tup_upd AS n FROM pg_stat_user_tables WHERE relname = 'web_counter'";

/**
 * UPDATE statements run on web_counter of `database` so far (pg_stat_user_tables.n_tup_upd: each
 * UPDATE changes its one row), once every other backend on the database has exited.
 */
export async function updateCount(database: string): Promise<number> {
  const config = { ...readPostgresConfig({ ...process.env, DB_HOST: '127.0.0.1' }), database };
  // On a new cluster the first count comes before any server has created the database.
  await ensureDatabase(config);
  const admin = await PgConnection.open(config);
  try {
    // A backend flushes its statistics before it leaves pg_stat_activity, so once the server's are gone
    // every UPDATE they ran is counted; a quiet interval instead would undercount a backend slow to exit.
    const othersSql = 'SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()';
    const othersLeft = async () => Number((await admin.query<{ n: string }>(othersSql, [database]))[0].n);
    const othersGone = await waitFor(async () => (await othersLeft()) === 0, 20_000, 50);
    if (!othersGone) throw new Error(`backends still connected to ${database} after 20 s`);
    await admin.query('SELECT pg_stat_clear_snapshot()');
    const rows = await admin.query<{ n: string }>(UPDATES_SQL);
    return Number(rows[0]?.n ?? 0);
  } finally {
    await admin.close();
  }
}
