import { ConfigError } from '../../backends/env.js';
import { PgConnection, type Sql } from '../../backends/postgresql/connection.js';
import { isConnectionLost } from '../../backends/postgresql/errors.js';
import { toCounterError } from './errors.js';
import { checkUserId, COUNTER_SCHEMA, readUserValue, resetUserRows } from './schema.js';
import { Pool } from '../../backends/postgresql/pool.js';
import { prepareDatabase } from '../../backends/postgresql/prepare-database.js';
import { inTransaction } from '../../backends/postgresql/transaction.js';
import {
  DEFAULT_POSTGRES_METHOD,
  incrementWith,
  isPostgresMethod,
  parsePostgresMethod,
  type PostgresMethod,
} from './methods.js';
import { readSettings, type Settings } from './settings.js';

/**
 * Library functions, mirroring the reference's init_user_counter_table / get_user_counter /
 * increment_user_counter. They share a small pool of connections opened on first use, so
 * concurrent callers (e.g. a web server) really run concurrently.
 */

/**
 * 'serializable' (the reference's spelling), 'repeatable read', 'read committed', 'read uncommitted';
 * any case, '_' or ' '. The reference's glue passes the method name here, which it ignores: so do we.
 */
export type IsolationLevel = string;

function isolationClause(level: IsolationLevel | undefined | null): string | undefined {
  if (level === undefined || level === null || level === '' || isPostgresMethod(level)) return undefined;
  const normal = level.trim().toUpperCase().replace(/[_-]+/g, ' ').replace(/\s+/g, ' ');
  if (!['SERIALIZABLE', 'REPEATABLE READ', 'READ COMMITTED', 'READ UNCOMMITTED'].includes(normal)) {
    throw new ConfigError(
      `isolation level ${JSON.stringify(level)} is invalid: use serializable, repeatable read, read committed or ` +
        `read uncommitted`,
    );
  }
  return normal;
}

/** Library calls fail on purpose (serialization conflicts): only a lost connection is replaced. */
function reusableAfter(err: unknown): boolean {
  return !isConnectionLost(err) && !(err instanceof Error && isConnectionLost(err.cause));
}

interface Library {
  settings: Settings;
  pool: Pool<PgConnection>;
}

/** Connections the library functions open at most; callers beyond that wait for one. */
const LIBRARY_POOL_SIZE = 10;
let libraryPool: Promise<Library> | undefined;

function pool(): Promise<Library> {
  libraryPool ??= (async () => {
    const settings = readSettings(process.env);
    await prepareDatabase(settings.config, COUNTER_SCHEMA);
    return {
      settings,
      pool: new Pool(() => PgConnection.open(settings.config), {
        size: LIBRARY_POOL_SIZE,
        endedError: () => new ConfigError('PostgreSQL connections were closed (closeUserCounterConnections)'),
        reusableAfter,
      }),
    };
  })().catch((err) => {
    libraryPool = undefined;
    throw err;
  });
  return libraryPool;
}

/** Runs `op` in a transaction at `level` when one is given, else as is. */
function inIsolation<T>(conn: Sql, level: string | undefined, op: () => Promise<T>): Promise<T> {
  return level ? inTransaction(conn, `BEGIN ISOLATION LEVEL ${level}`, op) : op();
}

/**
 * Creates the tables if missing and resets the user's counter and version to 0 (and its shard
 * slots). Unlike the reference it does not drop the table, so other users' rows survive.
 */
export async function initUserCounterTable(userId: number, isolationLevel?: IsolationLevel | null): Promise<void> {
  checkUserId(userId);
  const level = isolationClause(isolationLevel);
  const p = await pool();
  await p.pool
    .run((conn) => inIsolation(conn, level, () => resetUserRows(conn, p.settings.config, userId, p.settings.shards)))
    .catch((err) => {
      throw toCounterError(p.settings.config, err, true);
    });
}

/** The user's counter (row plus shard slots); 0 when the user has no row, like the reference. */
export async function getUserCounter(userId: number, isolationLevel?: IsolationLevel | null): Promise<number> {
  checkUserId(userId);
  const level = isolationClause(isolationLevel);
  const p = await pool();
  const value = await p.pool
    .run((conn) => inIsolation(conn, level, () => readUserValue(conn, p.settings.config, userId)))
    .catch((err) => {
      throw toCounterError(p.settings.config, err, false);
    });
  return value ?? 0;
}

/**
 * Adds one with `method` and resolves to the new value (undefined for `sharded`). Rejects with a
 * CounterError of kind 'conflict' when a serialization failure is not retried (doRetries false,
 * the reference's default) or retries run out; the increment was then not applied.
 */
export async function incrementUserCounter(
  userId: number,
  method: PostgresMethod = DEFAULT_POSTGRES_METHOD,
  doRetries = false,
): Promise<number | undefined> {
  checkUserId(userId);
  const checked = parsePostgresMethod(method);
  const p = await pool();
  const { config, retry, shards } = p.settings;
  return p.pool.run((conn) =>
    incrementWith(checked, { conn, config, userId, shards, retry, doRetries, onRetry: () => {} }),
  );
}

/** Closes the library functions' connections (lets a script exit promptly). */
export async function closeUserCounterConnections(): Promise<void> {
  const pending = libraryPool;
  libraryPool = undefined;
  if (pending) await (await pending.catch(() => undefined))?.pool.end();
}
