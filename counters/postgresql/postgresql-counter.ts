import { type Counter, CounterError, type CounterFactory } from '../counter.js';
import { ConfigError, type Env } from '../../backends/env.js';
import { ensureDatabase, PgConnection, type PostgresConfig, readPostgresConfig, type Sql } from '../../backends/postgresql/connection.js';
import { isConnectionLost, toCounterError } from '../../backends/postgresql/errors.js';
import {
  DEFAULT_POSTGRES_METHOD,
  incrementWith,
  type IncrementContext,
  isPostgresMethod,
  parsePostgresMethod,
  type PostgresMethod,
} from './methods.js';
import { readRetryPolicy, type RetryPolicy } from '../../backends/postgresql/retry.js';
import {
  checkUserId,
  ensureTables,
  ensureUserRows,
  readShards,
  readUserValue,
  resetUserRows,
  rollbackQuietly,
} from '../../backends/postgresql/schema.js';

export {
  DEFAULT_POSTGRES_METHOD,
  isPostgresMethod,
  parsePostgresMethod,
  pgbenchScript,
  POSTGRES_METHODS,
  type PostgresMethod,
  SQL,
} from './methods.js';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../../backends/postgresql/retry.js';
export { COUNTER_TABLE, DEFAULT_SHARDS, SHARD_TABLE } from '../../backends/postgresql/schema.js';

/** The reference's user id ("1"). */
export const DEFAULT_USER_ID = 1;

/** Everything a client reads from the environment, read once per factory / library use. */
interface Settings {
  config: PostgresConfig;
  retry: RetryPolicy;
  shards: number;
}

function readSettings(env: Env): Settings {
  return { config: readPostgresConfig(env), retry: readRetryPolicy(env), shards: readShards(env) };
}

/** Database, tables; then the user's rows, on `conn`. */
async function prepareStorage(settings: Settings, userId: number): Promise<void> {
  await ensureDatabase(settings.config);
  const conn = await PgConnection.open(settings.config);
  try {
    await ensureTables(conn, settings.config);
    await ensureUserRows(conn, settings.config, userId, settings.shards);
  } finally {
    await conn.close();
  }
}

/**
 * One simulated client: its own connection (so concurrency between clients is real), reopened
 * on the next call if the server dropped it.
 */
class PostgresCounter implements Counter {
  retryCount = 0;
  private conn: PgConnection | undefined;
  private running = false;
  private readonly queue: (() => void)[] = [];
  private closed = false;
  private readonly ctx: Omit<IncrementContext, 'conn'>;

  constructor(
    conn: PgConnection,
    private readonly settings: Settings,
    private readonly userId: number,
    private readonly method: PostgresMethod,
    doRetries: boolean,
    private readonly onClose: (counter: PostgresCounter) => void,
  ) {
    this.conn = conn;
    this.ctx = {
      config: settings.config,
      userId,
      shards: settings.shards,
      retry: settings.retry,
      doRetries,
      onRetry: () => {
        this.retryCount++;
      },
    };
  }

  increment(): Promise<number | undefined> {
    return this.exclusive(true, (conn) => incrementWith(this.method, { ...this.ctx, conn }));
  }

  reset(): Promise<void> {
    return this.exclusive(true, (conn) => resetUserRows(conn, this.settings.config, this.userId, this.settings.shards));
  }

  read(): Promise<number> {
    return this.exclusive(false, async (conn) => {
      const value = await readUserValue(conn, this.settings.config, this.userId);
      if (value === undefined) {
        throw new CounterError(`PostgreSQL: user ${this.userId} has no row in user_counter; reset the counter first`, 'backend');
      }
      return value;
    });
  }

  /** Closes the connection at once; a statement still in flight rejects as a lost connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onClose(this);
    const conn = this.conn;
    this.conn = undefined;
    await conn?.close();
  }

  /**
   * Runs `op` alone on this client's connection (a libpq connection runs one statement at a
   * time), reconnecting first when the previous call lost it. `writes` says whether a lost
   * connection may have applied the operation. The tester awaits each call, so the usual path
   * runs at once; overlapping calls queue.
   */
  private exclusive<T>(writes: boolean, op: (conn: PgConnection) => Promise<T>): Promise<T> {
    if (this.running) {
      return new Promise<T>((resolve, reject) => {
        this.queue.push(() => this.runNow(writes, op).then(resolve, reject));
      });
    }
    return this.runNow(writes, op);
  }

  private async runNow<T>(writes: boolean, op: (conn: PgConnection) => Promise<T>): Promise<T> {
    this.running = true;
    try {
      if (this.closed) throw new CounterError('PostgreSQL client is closed', 'refused');
      const conn = this.conn && !this.conn.lost ? this.conn : await this.connection();
      try {
        return await op(conn);
      } catch (err) {
        if (conn.lost || isConnectionLost(err) || (err instanceof CounterError && isConnectionLost(err.cause))) {
          this.dropConnection(conn);
        }
        throw toCounterError(this.settings.config, err, writes);
      }
    } finally {
      this.running = false;
      this.queue.shift()?.();
    }
  }

  private async connection(): Promise<PgConnection> {
    if (this.conn?.lost) this.dropConnection(this.conn);
    if (this.conn) return this.conn;
    try {
      this.conn = await PgConnection.open(this.settings.config);
      return this.conn;
    } catch (err) {
      // The server is unreachable: nothing was sent, certainly not applied.
      throw new CounterError(err instanceof Error ? err.message : String(err), 'refused', { cause: err });
    }
  }

  private dropConnection(conn: PgConnection): void {
    if (this.conn === conn) this.conn = undefined;
    void conn.close();
  }
}

export interface PostgresqlCounterOptions {
  method?: PostgresMethod;
  /** Retry serialization failures (serializable_update); OCC always retries. Default false, like the reference. */
  doRetries?: boolean;
  /** Default 1, the reference's user. */
  userId?: number;
  /** Where DB_HOST, DB_PORT, POSTGRES_*, PG_MAX_RETRIES, PG_RETRY_BASE_MS, PG_RETRY_CAP_MS, PG_SHARDS come from. Default process.env. */
  env?: Env;
}

/**
 * The tester's entry point: each `open()` is one client with its own connection. The first
 * open creates the database, tables and the user's rows when missing (it does not reset them).
 */
export function postgresqlCounterFactory(options: PostgresqlCounterOptions = {}): CounterFactory {
  const method = parsePostgresMethod(options.method ?? DEFAULT_POSTGRES_METHOD);
  const userId = checkUserId(options.userId ?? DEFAULT_USER_ID);
  const doRetries = options.doRetries ?? false;
  const env = options.env ?? process.env;
  const clients = new Set<PostgresCounter>();
  let ready: Promise<Settings> | undefined;

  const setUp = async (): Promise<Settings> => {
    const settings = readSettings(env);
    await prepareStorage(settings, userId);
    return settings;
  };

  return {
    name: `postgresql/${method}`,
    // Only lost_update may lose acknowledged increments. serializable_update without retries
    // rejects the losers ('conflict'), and the count equals the increments that succeeded.
    promisesExact: method !== 'lost_update',
    // These return the committed value of their own increment; sharded knows only its slot.
    linearizable: method !== 'lost_update' && method !== 'sharded',
    async open(): Promise<Counter> {
      ready ??= setUp().catch((err) => {
        ready = undefined; // let a later open try again
        throw err;
      });
      const settings = await ready;
      const conn = await PgConnection.open(settings.config);
      const counter = new PostgresCounter(conn, settings, userId, method, doRetries, (c) => clients.delete(c));
      clients.add(counter);
      return counter;
    },
    async close(): Promise<void> {
      await Promise.all([...clients].map((c) => c.close()));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Library functions, mirroring the reference's init_user_counter_table / get_user_counter /
// increment_user_counter. They share a small pool of connections opened on first use, so
// concurrent callers (e.g. a web server) really run concurrently.

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
      `isolation level ${JSON.stringify(level)} is invalid: use serializable, repeatable read, read committed or read uncommitted`,
    );
  }
  return normal;
}

class Pool {
  private readonly idle: PgConnection[] = [];
  private readonly waiters: ((conn: PgConnection | undefined) => void)[] = [];
  private open = 0;
  private closed = false;

  constructor(
    readonly settings: Settings,
    private readonly size: number,
  ) {}

  async use<T>(op: (conn: PgConnection) => Promise<T>): Promise<T> {
    const conn = await this.acquire();
    let broken = false;
    try {
      return await op(conn);
    } catch (err) {
      broken = conn.lost || isConnectionLost(err) || (err instanceof Error && isConnectionLost(err.cause));
      throw err;
    } finally {
      this.release(conn, broken);
    }
  }

  private async acquire(): Promise<PgConnection> {
    if (this.closed) throw new ConfigError('PostgreSQL connections were closed (closeUserCounterConnections)');
    let conn = this.idle.pop();
    while (conn?.lost) {
      this.open--;
      void conn.close();
      conn = this.idle.pop();
    }
    if (conn) return conn;
    if (this.open < this.size) {
      this.open++;
      try {
        return await PgConnection.open(this.settings.config);
      } catch (err) {
        this.open--;
        this.wakeOne();
        throw err;
      }
    }
    const handed = await new Promise<PgConnection | undefined>((resolve) => this.waiters.push(resolve));
    return handed ?? this.acquire();
  }

  private release(conn: PgConnection, broken: boolean): void {
    if (broken || this.closed) {
      this.open--;
      void conn.close();
      this.wakeOne();
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) waiter(conn);
    else this.idle.push(conn);
  }

  /** A slot freed up: let one waiter open its own connection. */
  private wakeOne(): void {
    this.waiters.shift()?.(undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
    const idle = this.idle.splice(0);
    this.open -= idle.length;
    await Promise.all(idle.map((c) => c.close()));
  }
}

/** Connections the library functions open at most; callers beyond that wait for one. */
const LIBRARY_POOL_SIZE = 10;
let libraryPool: Promise<Pool> | undefined;

function pool(): Promise<Pool> {
  libraryPool ??= (async () => {
    const settings = readSettings(process.env);
    await ensureDatabase(settings.config);
    const p = new Pool(settings, LIBRARY_POOL_SIZE);
    await p.use((conn) => ensureTables(conn, settings.config));
    return p;
  })().catch((err) => {
    libraryPool = undefined;
    throw err;
  });
  return libraryPool;
}

/** Runs `op` in a transaction at `level` when one is given, else as is. */
async function inIsolation<T>(conn: Sql, level: string | undefined, op: () => Promise<T>): Promise<T> {
  if (!level) return op();
  await conn.query(`BEGIN ISOLATION LEVEL ${level}`);
  let value: T;
  try {
    value = await op();
  } catch (err) {
    if (!isConnectionLost(err)) await rollbackQuietly(conn);
    throw err;
  }
  await conn.query('COMMIT');
  return value;
}

function libraryError(settings: Settings, err: unknown, mayHaveCommitted: boolean): Error {
  if (err instanceof ConfigError || err instanceof CounterError) return err;
  return toCounterError(settings.config, err, mayHaveCommitted);
}

/**
 * Creates the tables if missing and resets the user's counter and version to 0 (and its shard
 * slots). Unlike the reference it does not drop the table, so other users' rows survive.
 */
export async function initUserCounterTable(userId: number, isolationLevel?: IsolationLevel | null): Promise<void> {
  checkUserId(userId);
  const level = isolationClause(isolationLevel);
  const p = await pool();
  await p
    .use((conn) => inIsolation(conn, level, () => resetUserRows(conn, p.settings.config, userId, p.settings.shards)))
    .catch((err) => {
      throw libraryError(p.settings, err, true);
    });
}

/** The user's counter (row plus shard slots); 0 when the user has no row, like the reference. */
export async function getUserCounter(userId: number, isolationLevel?: IsolationLevel | null): Promise<number> {
  checkUserId(userId);
  const level = isolationClause(isolationLevel);
  const p = await pool();
  const value = await p
    .use((conn) => inIsolation(conn, level, () => readUserValue(conn, p.settings.config, userId)))
    .catch((err) => {
      throw libraryError(p.settings, err, false);
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
  return p.use((conn) => incrementWith(checked, { conn, config, userId, shards, retry, doRetries, onRetry: () => {} }));
}

/** Closes the library functions' connections (lets a script exit promptly). */
export async function closeUserCounterConnections(): Promise<void> {
  const pending = libraryPool;
  libraryPool = undefined;
  if (pending) await (await pending.catch(() => undefined))?.close();
}
