import { PgConnection } from '../../backends/postgresql/connection.js';
import { Pool } from '../../backends/postgresql/pool.js';
import { COUNTER_ROW, prepareWebTable, WEB_SQL } from './web-table.js';
import type { ServerConfig } from '../config.js';
import type { RemoteStore } from './store.js';

/** One row in PostgreSQL; each write is one atomic UPDATE, so every worker and host agrees. */
export class PostgresqlStore implements RemoteStore {
  readonly description: string;

  private constructor(
    private readonly pool: Pool<PgConnection>,
    config: ServerConfig,
  ) {
    const { host, port, database } = config.postgres!;
    this.description = `postgresql (${host}:${port}/${database})`;
  }

  /** Primary: database, table and row exist before any worker serves a request. */
  static async prepare(config: ServerConfig): Promise<{ release(): void }> {
    await prepareWebTable(config.postgres!);
    return { release: () => {} };
  }

  static open(config: ServerConfig): PostgresqlStore {
    return new PostgresqlStore(
      new Pool(() => PgConnection.open(config.postgres!), { size: config.pgPoolSize }),
      config,
    );
  }

  /** The reference's statement: one UPDATE per increment. */
  increment(): Promise<number> {
    return this.pool.run(async (connection) => {
      const rows = await connection.execute<{ value: string }>('increment', WEB_SQL.increment, [COUNTER_ROW]);
      return Number(rows[0].value);
    });
  }

  add(k: number): Promise<number> {
    return this.pool.run(async (connection) => {
      const rows = await connection.execute<{ value: string }>('add', WEB_SQL.add, [COUNTER_ROW, k]);
      return Number(rows[0].value);
    });
  }

  read(): Promise<number> {
    return this.pool.run(async (connection) => {
      const rows = await connection.execute<{ value: string }>('read', WEB_SQL.read, [COUNTER_ROW]);
      return Number(rows[0].value);
    });
  }

  async reset(): Promise<void> {
    await this.pool.run((connection) => connection.execute('reset', WEB_SQL.reset, [COUNTER_ROW]));
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
