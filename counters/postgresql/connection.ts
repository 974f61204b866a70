import Client from 'pg-native';
import { ConfigError, type Env, readPort, readString } from '../env.js';

/** Connection settings, from the reference's env vars and defaults. */
export interface PostgresConfig {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
}

export function readPostgresConfig(env: Env = process.env): PostgresConfig {
  return {
    host: readString(env, 'DB_HOST', 'localhost'),
    port: readPort(env, 'DB_PORT', 5432),
    database: readString(env, 'POSTGRES_DB', 'counter_db'),
    user: readString(env, 'POSTGRES_USER', 'postgres'),
    password: readString(env, 'POSTGRES_PASSWORD', 'postgres'),
  };
}

/** SQLSTATE of a failed statement, when the server sent one. */
export type SqlError = Error & { sqlState?: string };

function conninfo(config: PostgresConfig, database = config.database): string {
  const quote = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return [
    `host=${quote(config.host)}`,
    `port=${config.port}`,
    `dbname=${quote(database)}`,
    `user=${quote(config.user)}`,
    `password=${quote(config.password)}`,
    'connect_timeout=5',
    'application_name=counters',
    // libpq prints NOTICEs (e.g. "already exists, skipping") to stderr: keep our output to what matters.
    "options='-c client_min_messages=warning'",
  ].join(' ');
}

/** Turns libpq's connection failure into one line naming the server and the env var to fix. */
function explainConnectError(config: PostgresConfig, database: string, err: Error): Error {
  const where = `PostgreSQL at ${config.host}:${config.port}`;
  // libpq's first line holds the reason; later lines are hints we replace with our own.
  const text = err.message.trim().split('\n')[0].replace(/^.*? failed: /, '').replace(/^FATAL:\s*/, '');
  let fix = 'check DB_HOST and DB_PORT, and that the server is running (scripts/postgres.sh start)';
  if (/password authentication failed|no password supplied/i.test(text)) fix = 'check POSTGRES_USER and POSTGRES_PASSWORD';
  else if (/role .* does not exist/i.test(text)) fix = 'check POSTGRES_USER';
  else if (/database .* does not exist/i.test(text)) fix = `create database "${database}" or set POSTGRES_DB`;
  else if (/permission denied/i.test(text)) fix = `grant CONNECT on "${database}" to POSTGRES_USER, or use another user`;
  return new ConfigError(`cannot connect to ${where} (database "${database}"): ${text}; ${fix}`, {
    cause: err,
  });
}

const closingClients = new Set<Client>();

/** One libpq connection with a promise API. Not shareable between concurrent callers. */
export class PgConnection {
  private readonly client = new Client();
  private readonly prepared = new Set<string>();
  private ended = false;

  private constructor() {
    // A connection broken while idle reports here; the next query then fails with its own error.
    this.client.on('error', () => {});
  }

  static async open(config: PostgresConfig, database = config.database): Promise<PgConnection> {
    const connection = new PgConnection();
    await new Promise<void>((resolve, reject) => {
      connection.client.connect(conninfo(config, database), (err) =>
        err ? reject(explainConnectError(config, database, err)) : resolve(),
      );
    });
    return connection;
  }

  /** Runs one statement (or a semicolon-separated script without parameters). */
  query<T = Record<string, unknown>>(text: string, values?: unknown[]): Promise<T[]> {
    return new Promise((resolve, reject) => {
      const done = (err: Error | undefined, rows: unknown[]) =>
        err ? reject(this.withSqlState(err)) : resolve(rows as T[]);
      if (values) this.client.query(text, values, done);
      else this.client.query(text, done);
    });
  }

  /** Runs a statement prepared once per connection under `name`: the hot path skips parsing. */
  async execute<T = Record<string, unknown>>(name: string, text: string, values: unknown[]): Promise<T[]> {
    if (!this.prepared.has(name)) {
      await new Promise<void>((resolve, reject) =>
        this.client.prepare(name, text, values.length, (err) => (err ? reject(this.withSqlState(err)) : resolve())),
      );
      this.prepared.add(name);
    }
    return new Promise((resolve, reject) => {
      this.client.execute(name, values, (err, rows) => (err ? reject(this.withSqlState(err)) : resolve(rows as T[])));
    });
  }

  close(): Promise<void> {
    if (this.ended) return Promise.resolve();
    this.ended = true;
    // libpq's finish() starts an asynchronous uv_close on a handle inside the native object; if the
    // object were collected before that close completes, libuv would touch freed memory and abort.
    const client = this.client;
    closingClients.add(client);
    setTimeout(() => closingClients.delete(client), 1000).unref();
    return new Promise((resolve) => client.end(() => resolve()));
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
        `cannot create database "${config.database}" on ${config.host}:${config.port}: ${(err as Error).message.trim()}; create it or set POSTGRES_DB`,
        { cause: err },
      );
    }
  } finally {
    await admin.close();
  }
}
