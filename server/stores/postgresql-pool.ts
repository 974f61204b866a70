import { PgConnection, type PostgresConfig } from '../../backends/postgresql/connection.js';

/**
 * A fixed number of libpq connections handed out one caller at a time (libpq runs one
 * statement per connection). Connections open lazily; a connection whose statement failed
 * is dropped, so a restarted server is reconnected to on the next request.
 */
export class PostgresqlPool {
  private readonly idle: PgConnection[] = [];
  private readonly waiting: Array<(connection: PgConnection | undefined) => void> = [];
  private openCount = 0;
  private ending = false;

  constructor(private readonly config: PostgresConfig, private readonly size: number) {}

  run<T>(work: (connection: PgConnection) => Promise<T>): Promise<T> {
    // An idle connection is handed over in this very turn, so the statement leaves at once.
    const connection = this.idleConnection();
    if (connection) return this.runOn(connection, work);
    return this.acquire().then((acquired) => this.runOn(acquired, work));
  }

  /** An idle connection that still works: one lost while idle (a server restart) is dropped, not handed out. */
  private idleConnection(): PgConnection | undefined {
    let connection = this.idle.pop();
    while (connection?.lost) {
      this.openCount--;
      void connection.close();
      connection = this.idle.pop();
    }
    return connection;
  }

  async end(): Promise<void> {
    this.ending = true;
    for (const wake of this.waiting.splice(0)) wake(undefined);
    await Promise.all(this.idle.splice(0).map((connection) => connection.close()));
  }

  private async runOn<T>(connection: PgConnection, work: (connection: PgConnection) => Promise<T>): Promise<T> {
    try {
      const result = await work(connection);
      this.release(connection);
      return result;
    } catch (err) {
      this.discard(connection);
      throw err;
    }
  }

  private async acquire(): Promise<PgConnection> {
    if (this.ending) throw new Error('pool is closed');
    if (this.openCount < this.size) {
      this.openCount++;
      try {
        return await PgConnection.open(this.config);
      } catch (err) {
        this.openCount--;
        throw err;
      }
    }
    const next = await new Promise<PgConnection | undefined>((resolve) => this.waiting.push(resolve));
    if (!next) throw new Error('pool is closed');
    return next;
  }

  private release(connection: PgConnection): void {
    const wake = this.waiting.shift();
    if (wake) wake(connection);
    else if (this.ending) void this.discard(connection);
    else this.idle.push(connection);
  }

  private discard(connection: PgConnection): void {
    this.openCount--;
    void connection.close();
    // A waiter would otherwise sleep forever: let it open a fresh connection instead.
    const wake = this.waiting.shift();
    if (wake) this.acquire().then(wake, () => wake(undefined));
  }
}
