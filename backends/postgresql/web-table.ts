import { ConfigError } from '../env.js';
import { ensureDatabase, PgConnection, type PostgresConfig } from './connection.js';
import { withStartupRetry } from './startup-retry.js';
import { firstLine } from '../first-line.js';

/**
 * The web server's counter: one row of `web_counter`, apart from the tester's per-user tables
 * (schema.ts), so a tester run and a server share a database without touching each other's rows.
 */
export const WEB_TABLE = 'web_counter';
export const COUNTER_ROW = 'web';

export const WEB_SQL = {
  increment: `UPDATE ${WEB_TABLE} SET value = value + 1 WHERE name = $1 RETURNING value`,
  add: `UPDATE ${WEB_TABLE} SET value = value + $2 WHERE name = $1 RETURNING value`,
  read: `SELECT value FROM ${WEB_TABLE} WHERE name = $1`,
  reset: `UPDATE ${WEB_TABLE} SET value = 0 WHERE name = $1`,
} as const;

/** Advisory lock key guarding table creation ('WEBC'). */
const SCHEMA_LOCK_KEY = 0x57454243;

/** Database, table and row, waiting for a database that is still starting. */
export async function prepareWebTable(config: PostgresConfig): Promise<void> {
  await withStartupRetry(() => ensureDatabase(config));
  const connection = await PgConnection.open(config);
  try {
    // CREATE TABLE IF NOT EXISTS races with itself when several servers start at once: serialize it.
    await connection.query(
      `BEGIN; SELECT pg_advisory_xact_lock(${SCHEMA_LOCK_KEY});
       CREATE TABLE IF NOT EXISTS ${WEB_TABLE} (name text PRIMARY KEY, value bigint NOT NULL DEFAULT 0);
       INSERT INTO ${WEB_TABLE} (name) VALUES ('${COUNTER_ROW}') ON CONFLICT DO NOTHING; COMMIT`,
    );
  } catch (err) {
    const reason = firstLine(err);
    throw new ConfigError(
      `cannot prepare table ${WEB_TABLE} on ${config.host}:${config.port}: ${reason}; ` +
        'check that POSTGRES_USER may create tables in POSTGRES_DB',
      { cause: err },
    );
  } finally {
    await connection.close();
  }
}
