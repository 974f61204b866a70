import type { PostgresConfig } from '../../backends/postgresql/connection.js';
import { prepareDatabase, type Schema } from '../../backends/postgresql/prepare-database.js';

/**
 * The web server's counter: one row of `web_counter`, apart from the tester's per-user tables
 * (counters/postgresql/schema.ts), so a tester run and a server share a database without
 * touching each other's rows.
 */
export const WEB_TABLE = 'web_counter';
export const COUNTER_ROW = 'web';

export const WEB_SQL = {
  increment: `UPDATE ${WEB_TABLE} SET value = value + 1 WHERE name = $1 RETURNING value`,
  add: `UPDATE ${WEB_TABLE} SET value = value + $2 WHERE name = $1 RETURNING value`,
  read: `SELECT value FROM ${WEB_TABLE} WHERE name = $1`,
  reset: `UPDATE ${WEB_TABLE} SET value = 0 WHERE name = $1`,
  ensureRow: `INSERT INTO ${WEB_TABLE} (name) VALUES ($1) ON CONFLICT DO NOTHING`,
} as const;

const WEB_SCHEMA: Schema = {
  tables: [WEB_TABLE],
  create: `CREATE TABLE IF NOT EXISTS ${WEB_TABLE} (name text PRIMARY KEY, value bigint NOT NULL DEFAULT 0)`,
};

/** Database, table and row, waiting for a database that is still starting. */
export function prepareWebTable(config: PostgresConfig): Promise<void> {
  return prepareDatabase(config, WEB_SCHEMA, (conn) => conn.query(WEB_SQL.ensureRow, [COUNTER_ROW]));
}
