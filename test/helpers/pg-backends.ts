/**
 * Looking at a web server's PostgreSQL side: its backends in pg_stat_activity, and a lock on its
 * counter row that holds its UPDATEs until released. Each test file uses a database of its own, so
 * every other backend on it is the server's.
 */
import { PgConnection, readPostgresConfig } from '../../backends/postgresql/connection.js';
import { ensureDatabase } from '../../backends/postgresql/prepare-database.js';
import { COUNTER_ROW, prepareWebTable, WEB_TABLE } from '../../server/stores/web-table.js';

export interface Backend {
  pid: number;
  /** 'Lock' while an UPDATE waits for the row. */
  waitEventType: string | null;
}

/** A superuser session on `database` (created, with the web table, if missing). */
export async function observer(database: string): Promise<PgConnection> {
  const config = { ...readPostgresConfig(process.env), database, statementTimeoutMs: 60_000 };
  await ensureDatabase(config);
  await prepareWebTable(config);
  return PgConnection.open(config);
}

/** The backends on `database` but the observer's and `others` (the lock holder's). */
export async function serverBackends(admin: PgConnection, database: string, others: number[] = []): Promise<Backend[]> {
  const rows = await admin.query<{ pid: number; wait_event_type: string | null }>(
    'SELECT pid, wait_event_type FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() ORDER BY pid',
    [database],
  );
  return rows
    .map((row) => ({ pid: Number(row.pid), waitEventType: row.wait_event_type }))
    .filter((backend) => !others.includes(backend.pid));
}

export interface RowLock {
  /** The holder's backend pid (not the server's). */
  pid: number;
  /** Commits, letting the waiting UPDATEs through. */
  release(): Promise<void>;
}

/** Locks the web counter row (SELECT ... FOR UPDATE in an open transaction); release is idempotent. */
export async function lockCounterRow(database: string): Promise<RowLock> {
  const holder = await observer(database);
  try {
    const [{ pid }] = await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    await holder.query(`BEGIN; SELECT value FROM ${WEB_TABLE} WHERE name = '${COUNTER_ROW}' FOR UPDATE`);
    let released: Promise<void> | undefined;
    return {
      pid: Number(pid),
      release: () => (released ??= holder.query('COMMIT').then(() => holder.close())),
    };
  } catch (err) {
    await holder.close();
    throw err;
  }
}
