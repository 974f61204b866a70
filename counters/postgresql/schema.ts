import { type ConfigError, type Env, readInteger } from '../../backends/env.js';
import { POSTGRES_VARS } from '../../backends/env-vars.js';
import type { PostgresConfig, Sql, SqlError } from '../../backends/postgresql/connection.js';
import { privilegeError } from '../../backends/postgresql/errors.js';
import type { Schema } from '../../backends/postgresql/prepare-database.js';

/**
 * Schema. `user_counter` is the reference's table: one row per user with its counter and the
 * version optimistic concurrency control compares. Every method except `sharded` works on it.
 *
 * `sharded` spreads a user's counter over K slot rows in `user_counter_shard`, so concurrent
 * clients mostly update different rows. A user's value is always
 *   user_counter.counter + SUM(user_counter_shard.counter)
 * and a reset zeroes both, so reads agree whichever method incremented. (The value a
 * non-sharded method returns is its row's counter; don't mix `sharded` with the others on one
 * user between resets if you compare returned values with reads.)
 *
 * Statements name the user id twice ($1 for user_counter, an integer-cast one for the shard
 * table) and never cast the former: a `user_counter` left by the Python reference (user_id
 * VARCHAR) keeps working.
 */
export const COUNTER_TABLE = 'user_counter';
export const SHARD_TABLE = 'user_counter_shard';

/**
 * Advisory lock class ('CNTR', first key of the two-int4 form) of the `advisory_lock` method, so
 * it collides with no other user of advisory locks (table creation takes 'CNTS').
 */
export const COUNTER_LOCK_CLASS = 0x434e5452;

export const DEFAULT_SHARDS = POSTGRES_VARS.PG_SHARDS.fallback;

/** PG_SHARDS: slot rows per user for the `sharded` method (default 8). */
export function readShards(env: Env): number {
  return readInteger(env, POSTGRES_VARS.PG_SHARDS);
}

const CREATE_TABLES = `
CREATE TABLE IF NOT EXISTS ${COUNTER_TABLE} (
  user_id integer PRIMARY KEY,
  counter bigint NOT NULL DEFAULT 0,
  version bigint NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS ${SHARD_TABLE} (
  user_id integer NOT NULL,
  slot integer NOT NULL,
  counter bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, slot)
)`;

/** Both tables, created on first use (see prepareDatabase). */
export const COUNTER_SCHEMA: Schema = { tables: [COUNTER_TABLE, SHARD_TABLE], create: CREATE_TABLES };

/** Creates the user's row and K slot rows when missing; leaves existing values alone. */
export async function ensureUserRows(conn: Sql, config: PostgresConfig, userId: number, shards: number): Promise<void> {
  await usingTables(config, () =>
    conn.execute(
      'cnt_ensure_rows',
      `WITH main AS (
         INSERT INTO ${COUNTER_TABLE} (user_id, counter, version) VALUES ($1, 0, 0) ON CONFLICT (user_id) DO NOTHING
       )
       INSERT INTO ${SHARD_TABLE} (user_id, slot, counter)
       SELECT $2::integer, s, 0 FROM generate_series(0, $3::integer - 1) AS s
       ON CONFLICT (user_id, slot) DO NOTHING`,
      [userId, userId, shards],
    ),
  );
}

/** Sets the user's counter and version to 0 and its K slots to 0 (creating what is missing), atomically. */
export async function resetUserRows(conn: Sql, config: PostgresConfig, userId: number, shards: number): Promise<void> {
  await usingTables(config, () =>
    conn.execute(
      'cnt_reset_rows',
      `WITH main AS (
         INSERT INTO ${COUNTER_TABLE} (user_id, counter, version) VALUES ($1, 0, 0)
         ON CONFLICT (user_id) DO UPDATE SET counter = 0, version = 0
       ), extra AS (
         DELETE FROM ${SHARD_TABLE} WHERE user_id = $2::integer AND slot >= $3::integer
       )
       INSERT INTO ${SHARD_TABLE} (user_id, slot, counter)
       SELECT $2::integer, s, 0 FROM generate_series(0, $3::integer - 1) AS s
       ON CONFLICT (user_id, slot) DO UPDATE SET counter = 0`,
      [userId, userId, shards],
    ),
  );
}

/** The user's value (row + slots), or undefined when the user has no row. */
export async function readUserValue(conn: Sql, config: PostgresConfig, userId: number): Promise<number | undefined> {
  const rows = await usingTables(config, () =>
    conn.execute<{ counter: unknown }>(
      'cnt_read_total',
      `SELECT c.counter
         + COALESCE((SELECT sum(s.counter) FROM ${SHARD_TABLE} s WHERE s.user_id = $2::integer), 0) AS counter
       FROM ${COUNTER_TABLE} c WHERE c.user_id = $1`,
      [userId, userId],
    ),
  );
  return rows.length === 0 ? undefined : toCount(rows[0].counter);
}

/** Missing SELECT/INSERT/UPDATE/DELETE on the counter tables. */
export function tablePrivilegeError(config: PostgresConfig, err: unknown): ConfigError {
  return privilegeError(
    config,
    err,
    'use the counter tables',
    `grant SELECT, INSERT, UPDATE, DELETE on ${COUNTER_TABLE} and ${SHARD_TABLE} to "${config.user}"`,
  );
}

async function usingTables<T>(config: PostgresConfig, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if ((err as SqlError).sqlState === '42501') throw tablePrivilegeError(config, err);
    throw err;
  }
}

/** int8 and numeric arrive as strings from pg-native, int4 as numbers. */
export function toCount(value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`unexpected counter value from PostgreSQL: ${JSON.stringify(value)}`);
  return n;
}

/** Checks a user id the way the integer column will: a whole number in int4 range. */
export function checkUserId(userId: number): number {
  if (!Number.isInteger(userId) || userId < -2147483648 || userId > 2147483647) {
    throw new RangeError(`user id must be a 32-bit integer, got ${String(userId)}`);
  }
  return userId;
}
