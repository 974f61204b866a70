import Client from 'pg-native';
import { ConfigError } from '../env.js';
import type { PostgresConfig } from './config.js';

export { type PostgresConfig, readPostgresConfig } from './config.js';

/** What the counter methods need from a connection. */
export type Sql = Pick<PgConnection, 'query' | 'execute'>;

/** SQLSTATE of a failed statement, when the server sent one. */
export type SqlError = Error & { sqlState?: string };

/**
 * libpq's smallest connect timeout: a server in the middle of shutting down can accept a connection
 * and never answer, and every request of a coalesced batch waits for that connect.
 */
export const CONNECT_TIMEOUT_S = 2;

/** The libpq connection string of `config` (the native engine connects with it too). */
export function conninfo(config: PostgresConfig, database = config.database): string {
  const quote = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return [
    `host=${quote(config.host)}`,
    `port=${config.port}`,
    `dbname=${quote(database)}`,
    `user=${quote(config.user)}`,
    `password=${quote(config.password)}`,
    `connect_timeout=${CONNECT_TIMEOUT_S}`,
    'application_name=counters',
    // libpq prints NOTICEs (e.g. "already exists, skipping") to stderr: keep our output to what matters.
    "options='-c client_min_messages=warning'",
  ].join(' ');
}

/** Turns libpq's connection failure into one line naming the server and the env var to fix. */
export function explainConnectError(config: PostgresConfig, database: string, err: Error): Error {
  const where = `PostgreSQL at ${config.host}:${config.port}`;
  // libpq's first line holds the reason; later lines are hints we replace with our own.
  const text = err.message
    .trim()
    .split('\n')[0]
    .replace(/^.*? failed: /, '')
    .replace(/^FATAL:\s*/, '');
  let fix =
    'check DB_HOST and DB_PORT, and that the server is running (scripts/postgres.sh start runs one on port 55432)';
  if (/password authentication failed|no password supplied/i.test(text))
    fix = 'check POSTGRES_USER and POSTGRES_PASSWORD';
  else if (/role .* does not exist/i.test(text)) fix = 'check POSTGRES_USER';
  else if (/database .* does not exist/i.test(text)) fix = `create database "${database}" or set POSTGRES_DB`;
  else if (/permission denied/i.test(text))
    fix = `grant CONNECT on "${database}" to POSTGRES_USER, or use another user`;
  return new ConfigError(`cannot connect to ${where} (database "${database}"): ${text}; ${fix}`, {
    cause: err,
  });
}

/** Why a statement failed that got no answer in time (the connection is given up: SQLSTATE 08006). */
export function noAnswerMessage(statementTimeoutMs: number): string {
  return `no answer from PostgreSQL within ${statementTimeoutMs} ms (PG_STATEMENT_TIMEOUT_MS)`;
}

const closingClients = new Set<Client>();

/** How often a statement still in flight reads its socket itself (see call()). */
const READ_NUDGE_MS = 200;

/** One libpq connection with a promise API. Not shareable between concurrent callers. */
export class PgConnection {
  private readonly client = new Client();
  private readonly prepared = new Set<string>();
  private ended = false;
  /** Rejects the statement in flight: pg-native reports a lost connection only as an event. */
  private failPending: ((err: Error) => void) | undefined;
  private broken: SqlError | undefined;

  private watchingIdle = false;

  private constructor(private readonly statementTimeoutMs: number) {
    // A lost connection (server restart, pg_terminate_backend) surfaces here, not in the
    // query's callback, which would otherwise wait forever.
    this.client.on('error', (err) =>
      this.fail(
        err.message
          .trim()
          .split('\n')[0]
          .replace(/^FATAL:\s*/, ''),
        '08006',
        err,
      ),
    );
  }

  /**
   * Between statements libpq must not parse what arrives: a server shutting down sends each idle
   * session a FATAL message, which libpq, outside a statement, prints raw to stderr (its default
   * notice processor, which pg-native cannot replace). So while idle, pg-native does not read;
   * anything readable marks the connection lost, unparsed, and the pool drops it.
   */
  private startIdleWatch(): void {
    if (this.broken || this.watchingIdle) return;
    this.watchingIdle = true;
    this.client._stopReading();
    this.client.pq.on('readable', this.onIdleReadable);
    this.client.pq.startReader();
  }

  private stopIdleWatch(): void {
    if (!this.watchingIdle) return;
    this.watchingIdle = false;
    this.client.pq.removeListener('readable', this.onIdleReadable);
    this.client.pq.stopReader();
  }

  private readonly onIdleReadable = (): void => {
    this.stopIdleWatch();
    this.fail('PostgreSQL closed the connection while it was idle', '08006');
  };

  /** True once the server dropped the connection or it was closed: open a new one. */
  get lost(): boolean {
    return this.broken !== undefined;
  }

  /** Marks the connection lost and rejects the statement in flight with that SQLSTATE. */
  private fail(message: string, sqlState: string, cause?: unknown): void {
    if (this.broken) return;
    const lost: SqlError = new Error(message, { cause });
    lost.sqlState = sqlState;
    this.broken = lost;
    const reject = this.failPending;
    this.failPending = undefined;
    reject?.(lost);
  }

  /** Runs one pg-native call, failing it at once if the connection is or becomes broken. */
  private call<T>(start: (done: (err: Error | undefined, value: T) => void) => void): Promise<T> {
    if (this.broken) return Promise.reject(this.broken);
    this.stopIdleWatch();
    return new Promise((resolve, reject) => {
      // Bounds the wait even if libpq never reports a connection that died mid-statement. A timer
      // per statement, not a coarse per-connection one: a coarse tick would let a stuck write hold
      // its whole coalesced batch up to a quarter of the timeout longer.
      // It also reads the socket itself every READ_NUDGE_MS: when the server resets the connection
      // (it exits with our statement unread, as in pg_ctl -m fast stop), libuv reports a socket
      // error that libpq's poll handler ignores, and nothing else would ever read it.
      const sentMs = performance.now();
      const timer = setInterval(
        () => {
          if (performance.now() - sentMs < this.statementTimeoutMs) this.client._read();
          else
            this.fail(noAnswerMessage(this.statementTimeoutMs), '08006');
        },
        Math.min(READ_NUDGE_MS, this.statementTimeoutMs),
      );
      this.failPending = (err) => {
        clearInterval(timer);
        reject(err);
      };
      start((err, value) => {
        clearInterval(timer);
        this.failPending = undefined;
        this.startIdleWatch();
        if (err) reject(this.withSqlState(err));
        else resolve(value);
      });
    });
  }

  static async open(config: PostgresConfig, database = config.database): Promise<PgConnection> {
    const connection = new PgConnection(config.statementTimeoutMs);
    try {
      await new Promise<void>((resolve, reject) => {
        connection.client.connect(conninfo(config, database), (err) =>
          err ? reject(explainConnectError(config, database, err)) : resolve(),
        );
      });
    } catch (err) {
      // A failed connect still holds its socket and libpq's memory until it is finished.
      void connection.close();
      throw err;
    }
    connection.startIdleWatch();
    return connection;
  }

  /** Runs one statement (or a semicolon-separated script without parameters). */
  query<T = Record<string, unknown>>(text: string, values?: unknown[]): Promise<T[]> {
    return this.call<T[]>((done) => {
      const cb = done as (err: Error | undefined, rows: unknown[]) => void;
      if (values) this.client.query(text, values, cb);
      else this.client.query(text, cb);
    });
  }

  /** Runs a statement prepared once per connection under `name`: the hot path skips parsing. */
  async execute<T = Record<string, unknown>>(name: string, text: string, values: unknown[]): Promise<T[]> {
    if (!this.prepared.has(name)) {
      await this.call<void>((done) => this.client.prepare(name, text, values.length, (err) => done(err, undefined)));
      this.prepared.add(name);
    }
    return this.call<T[]>((done) =>
      this.client.execute(name, values, done as (err: Error | undefined, rows: unknown[]) => void),
    );
  }

  /** Closes at once; a statement still in flight rejects (SQLSTATE 08003) rather than hanging. */
  close(): Promise<void> {
    if (this.ended) return Promise.resolve();
    this.ended = true;
    this.fail('connection closed by the client', '08003');
    // libpq's finish() starts an asynchronous uv_close on a handle inside the native object; if the
    // object were collected before that close completes, libuv would touch freed memory and abort.
    const client = this.client;
    closingClients.add(client);
    setTimeout(() => closingClients.delete(client), 1000).unref();
    // Never finish inside pg-native's own callbacks (a failed query calls us from its read
    // handler, which goes on to restart its poll watcher): finish on a later turn of the loop.
    return new Promise((resolve) => setImmediate(() => client.end(() => resolve())));
  }

  private withSqlState(err: Error): SqlError {
    const sqlErr = err as SqlError;
    const fields = this.client.pq.resultErrorFields();
    sqlErr.sqlState = fields?.sqlState ?? fields?.sqlstate ?? guessSqlState(err.message);
    return sqlErr;
  }
}

/** pg-native drops the SQLSTATE of a failed result; recover the ones we act on from the text. */
function guessSqlState(message: string): string | undefined {
  if (/could not serialize access/i.test(message)) return '40001';
  if (/deadlock detected/i.test(message)) return '40P01';
  return undefined;
}
