import { ensureDatabase, PgConnection } from '../../backends/postgresql/connection.js';
import { ConfigError } from '../../backends/env.js';
import type { ServerConfig } from '../config.js';
import { IncrementCoalescer } from './increment-coalescer.js';
import { PostgresqlPool } from './postgresql-pool.js';
import type { Store } from './store.js';

export const COUNTER_ROW = 'web';
export const INCREMENT_SQL = 'UPDATE web_counter SET value = value + 1 WHERE name = $1 RETURNING value';
const ADD = 'UPDATE web_counter SET value = value + $2 WHERE name = $1 RETURNING value';
const READ = 'SELECT value FROM web_counter WHERE name = $1';
const RESET = 'UPDATE web_counter SET value = 0 WHERE name = $1';

/** Advisory lock key guarding table creation ('WEBC'). */
const SCHEMA_LOCK_KEY = 0x57454243;

/** Connection attempts at startup: a database that is still booting gets about 10 s. */
const CONNECT_ATTEMPTS = 10;

/** One row in PostgreSQL; each increment is one atomic UPDATE, so every worker and host agrees. */
export class PostgresqlStore implements Store {
  readonly description: string;
  private readonly coalescer: IncrementCoalescer | undefined;

  private constructor(private readonly pool: PostgresqlPool, config: ServerConfig) {
    const { host, port, database } = config.postgres!;
    this.description = `postgresql (${host}:${port}/${database}${config.coalesce ? ', coalescing' : ''})`;
    if (config.coalesce) this.coalescer = new IncrementCoalescer((k) => this.add(k), config.coalesceMaxBatch);
  }

  /** Primary: database, table and row exist before any worker serves a request. */
  static async prepare(config: ServerConfig): Promise<{ release(): void }> {
    await withStartupRetry(() => ensureDatabase(config.postgres!));
    const connection = await PgConnection.open(config.postgres!);
    try {
      // CREATE TABLE IF NOT EXISTS races with itself when several servers start at once: serialize it.
      await connection.query(
        `BEGIN; SELECT pg_advisory_xact_lock(${SCHEMA_LOCK_KEY});
         CREATE TABLE IF NOT EXISTS web_counter (name text PRIMARY KEY, value bigint NOT NULL DEFAULT 0);
         INSERT INTO web_counter (name) VALUES ('${COUNTER_ROW}') ON CONFLICT DO NOTHING; COMMIT`,
      );
    } catch (err) {
      const { host, port } = config.postgres!;
      throw new ConfigError(
        `cannot prepare table web_counter on ${host}:${port}: ${(err as Error).message.trim().split('\n')[0]}; check that POSTGRES_USER may create tables in POSTGRES_DB`,
        { cause: err },
      );
    } finally {
      await connection.close();
    }
    return { release: () => {} };
  }

  static open(config: ServerConfig): PostgresqlStore {
    return new PostgresqlStore(new PostgresqlPool(config.postgres!, config.pgPoolSize), config);
  }

  increment(): Promise<number> {
    if (this.coalescer) return this.coalescer.increment();
    return this.pool.run(async (connection) => {
      const rows = await connection.execute<{ value: string }>('increment', INCREMENT_SQL, [COUNTER_ROW]);
      return Number(rows[0].value);
    });
  }

  private add(k: number): Promise<number> {
    return this.pool.run(async (connection) => {
      const rows = await connection.execute<{ value: string }>('add', ADD, [COUNTER_ROW, k]);
      return Number(rows[0].value);
    });
  }

  read(): Promise<number> {
    return this.pool.run(async (connection) => {
      const rows = await connection.execute<{ value: string }>('read', READ, [COUNTER_ROW]);
      return Number(rows[0].value);
    });
  }

  async reset(): Promise<void> {
    await this.pool.run((connection) => connection.execute('reset', RESET, [COUNTER_ROW]));
  }

  close(): Promise<void> {
    return this.pool.end();
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
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}
