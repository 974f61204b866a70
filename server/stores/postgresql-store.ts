import { PgConnection } from '../../backends/postgresql/connection.js';
import { Pool } from '../../backends/postgresql/pool.js';
import { COUNTER_ROW, prepareWebTable, WEB_SQL } from '../../backends/postgresql/web-table.js';
import type { ServerConfig } from '../config.js';
import { IncrementCoalescer } from './increment-coalescer.js';
import type { Store } from './store.js';

/** One row in PostgreSQL; each increment is one atomic UPDATE, so every worker and host agrees. */
export class PostgresqlStore implements Store {
  readonly description: string;
  private readonly coalescer: IncrementCoalescer | undefined;

  private constructor(
    private readonly pool: Pool<PgConnection>,
    config: ServerConfig,
  ) {
    const { host, port, database } = config.postgres!;
    this.description = `postgresql (${host}:${port}/${database}${config.coalesce ? ', coalescing' : ''})`;
    if (config.coalesce) this.coalescer = new IncrementCoalescer((k) => this.add(k), config.coalesceMaxBatch);
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

  increment(): Promise<number> {
    if (this.coalescer) return this.coalescer.increment();
    return this.pool.run(async (connection) => {
      const rows = await connection.execute<{ value: string }>('increment', WEB_SQL.increment, [COUNTER_ROW]);
      return Number(rows[0].value);
    });
  }

  private add(k: number): Promise<number> {
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
