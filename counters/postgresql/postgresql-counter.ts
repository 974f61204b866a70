import { type Counter, CounterError, type CounterFactory } from '../counter.js';
import type { Env } from '../../backends/env.js';
import { PgConnection } from '../../backends/postgresql/connection.js';
import { isConnectionLost } from '../../backends/postgresql/errors.js';
import { toCounterError } from './errors.js';
import { prepareDatabase } from '../../backends/postgresql/prepare-database.js';
import {
  DEFAULT_POSTGRES_METHOD,
  incrementWith,
  type IncrementContext,
  parsePostgresMethod,
  type PostgresMethod,
  SQL,
} from './methods.js';
import {
  checkUserId,
  COUNTER_SCHEMA,
  ensureUserRows,
  readUserValue,
  resetUserRows,
} from './schema.js';
import { DEFAULT_USER_ID, readSettings, type Settings } from './settings.js';
import { nativePgLoader, openNativePgEngine } from './native-engine.js';

export {
  DEFAULT_POSTGRES_METHOD,
  isPostgresMethod,
  parsePostgresMethod,
  pgbenchScript,
  POSTGRES_METHODS,
  type PostgresMethod,
  SQL,
} from './methods.js';
export { COUNTER_TABLE, DEFAULT_SHARDS, SHARD_TABLE } from './schema.js';
export { DEFAULT_USER_ID } from './settings.js';
export {
  closeUserCounterConnections,
  getUserCounter,
  incrementUserCounter,
  initUserCounterTable,
  type IsolationLevel,
} from './user-counter-library.js';

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
        throw new CounterError(
          `PostgreSQL: user ${this.userId} has no row in user_counter; reset the counter first`,
          'backend',
        );
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
  /**
   * native (default): the load's increments run in the addon's epoll loop (native/pg-loader/), off
   * the JS thread; js: one PostgresCounter per client. The tester's own calls (reset, reads) are JS.
   */
  engine?: 'native' | 'js';
  /**
   * Where DB_HOST, DB_PORT, POSTGRES_*, PG_MAX_RETRIES, PG_RETRY_BASE_MS, PG_RETRY_CAP_MS, PG_SHARDS come from.
   * Default process.env.
   */
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
  const native = options.engine === 'js' ? undefined : nativePgLoader();
  let ready: Promise<Settings> | undefined;
  let clockConnection: Promise<PgConnection> | undefined;

  const setUp = async (): Promise<Settings> => {
    const settings = readSettings(env);
    await prepareDatabase(settings.config, COUNTER_SCHEMA, (conn) =>
      ensureUserRows(conn, settings.config, userId, settings.shards),
    );
    return settings;
  };
  const prepared = (): Promise<Settings> =>
    (ready ??= setUp().catch((err) => {
      ready = undefined; // let a later open try again
      throw err;
    }));

  return {
    name: `postgresql/${method}`,
    // Only lost_update may lose acknowledged increments. serializable_update without retries
    // rejects the losers ('conflict'), and the count equals the increments that succeeded.
    promisesExact: method !== 'lost_update',
    // These return the committed value of their own increment; sharded knows only its slot.
    linearizable: method !== 'lost_update' && method !== 'sharded',
    async open(): Promise<Counter> {
      const settings = await prepared();
      const conn = await PgConnection.open(settings.config);
      const counter = new PostgresCounter(conn, settings, userId, method, doRetries, (c) => clients.delete(c));
      clients.add(counter);
      return counter;
    },
    openEngine:
      native &&
      (async (clientCount) => {
        const settings = await prepared();
        return openNativePgEngine(native, { settings, method, doRetries, userId, clientCount });
      }),
    /** clock_timestamp(), to the microsecond; one connection for every reading, so that only the first pays its connect. */
    async readClock() {
      clockConnection ??= prepared().then((settings) => PgConnection.open(settings.config));
      const [row] = await (await clockConnection).query<{ us: string }>(SQL.clock);
      return { atUs: Number(row.us), resolutionUs: 1, against: "PostgreSQL's clock_timestamp()" };
    },
    async close(): Promise<void> {
      await Promise.all([...clients].map((c) => c.close()));
      await clockConnection?.then((conn) => conn.close()).catch(() => {});
    },
  };
}
