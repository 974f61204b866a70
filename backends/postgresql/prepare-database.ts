import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError } from '../env.js';
import { PgConnection, type PostgresConfig, type Sql, type SqlError } from './connection.js';
import { privilegeError } from './errors.js';

/**
 * What every user of the database (the server's store, the tester's counter, the library
 * functions) does before its first statement, written once: wait for a server still starting,
 * create the database and the user's tables when missing, then the user's rows.
 */

/** The tables one user of the database keeps. */
export interface Schema {
  /** Checked first: when all exist nothing is created, so a user without CREATE on the schema can use them. */
  tables: readonly string[];
  /** CREATE TABLE IF NOT EXISTS statements for them. */
  create: string;
}

/**
 * Advisory lock class ('CNTS') of table creation, in the two-int4 form so it collides with no
 * other user of advisory locks; the second key is always 0: all schemas share the one lock.
 */
const SCHEMA_LOCK_CLASS = 0x434e5453;

/** Connection attempts at startup: a database that is still booting gets about 10 s. */
const CONNECT_ATTEMPTS = 10;
const ATTEMPT_PAUSE_MS = 1000;

/**
 * Creates the database and `schema`'s tables when missing, then runs `seed` (the rows the user
 * needs) on the same connection. A server that is still starting is waited for.
 */
export async function prepareDatabase(
  config: PostgresConfig,
  schema: Schema,
  seed?: (conn: Sql) => Promise<unknown>,
): Promise<void> {
  await withStartupRetry(() => ensureDatabase(config));
  const conn = await PgConnection.open(config);
  try {
    await ensureTables(conn, config, schema);
    await seed?.(conn);
  } finally {
    await conn.close();
  }
}

/** Retries only what waiting can fix (a server still starting); a wrong password fails at once. */
async function withStartupRetry<T>(attempt: () => Promise<T>): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      const transient = /Connection refused|timeout expired|starting up|shutting down/i.test((err as Error).message);
      if (!transient || i >= CONNECT_ATTEMPTS) throw err;
      await sleep(ATTEMPT_PAUSE_MS);
    }
  }
}

/** Creates the configured database when it is missing (the reference does this on first use). */
export async function ensureDatabase(config: PostgresConfig): Promise<void> {
  let probe: PgConnection;
  try {
    probe = await PgConnection.open(config);
    await probe.close();
    return;
  } catch (err) {
    if (!(err instanceof ConfigError && /does not exist/.test(err.message) && /database/.test(err.message))) throw err;
  }
  const admin = await PgConnection.open(config, 'postgres');
  try {
    await admin.query(`CREATE DATABASE "${config.database.replace(/"/g, '""')}"`);
  } catch (err) {
    // Another process may have created it between our probe and this statement.
    if ((err as SqlError).sqlState !== '42P04' && !/already exists/.test((err as Error).message)) {
      throw new ConfigError(
        `cannot create database "${config.database}" on ${config.host}:${config.port}: ` +
          `${(err as Error).message.trim()}; create it or set POSTGRES_DB`,
        { cause: err },
      );
    }
  } finally {
    await admin.close();
  }
}

/** Creates the schema's tables when one is missing. Needs CREATE on the schema only then. */
async function ensureTables(conn: Sql, config: PostgresConfig, schema: Schema): Promise<void> {
  const exists = schema.tables.map((table) => `to_regclass('${table}') IS NOT NULL`).join(' AND ');
  const [found] = await conn.query<{ ready: boolean | string }>(`SELECT ${exists} AS ready`);
  if (isTrue(found?.ready)) return;
  try {
    // The lock makes concurrent first runs (parallel tests, several testers or servers) wait for
    // one another instead of failing on the catalog's unique index.
    await conn.query(`BEGIN; SELECT pg_advisory_xact_lock(${SCHEMA_LOCK_CLASS}, 0); ${schema.create}; COMMIT`);
  } catch (err) {
    if ((err as SqlError).sqlState === '42501' || /permission denied/i.test((err as Error).message)) {
      const [what, them] = schema.tables.length === 1 ? ['table', 'it'] : ['tables', 'them'];
      throw privilegeError(
        config,
        err,
        `create ${what} ${schema.tables.join(' and ')}`,
        `grant CREATE on the schema to "${config.user}" or create ${them} as another user`,
      );
    }
    throw err;
  }
}

/** A boolean column, parsed (true) or as PostgreSQL's text ('t'). */
function isTrue(value: unknown): boolean {
  return value === true || value === 't' || value === 'true';
}
