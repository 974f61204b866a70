import { PgConnection, type PostgresConfig } from '../../counters/postgresql/connection.js';
import { Outage } from './outage.js';

interface Waiter {
  resolve(connection: PgConnection): void;
  reject(err: unknown): void;
}

/**
 * A fixed number of libpq connections handed out one caller at a time (libpq runs one
 * statement per connection). Connections open lazily; a connection whose statement failed
 * is dropped, so a restarted server is reconnected to on the next request. Once a connect
 * fails, requests that find no open connection fail at once with that error, and only one
 * connect at a time is tried again, paced by Outage, until one succeeds.
 */
export class PostgresqlPool {
  private readonly idle: PgConnection[] = [];
  private readonly waiting: Waiter[] = [];
  private openCount = 0;
  private ending = false;
  private outage: Outage | undefined;
  private reconnecting = false;

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
    for (const waiter of this.waiting.splice(0)) waiter.reject(new Error('pool is closed'));
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

  private acquire(): Promise<PgConnection> {
    if (this.ending) return Promise.reject(new Error('pool is closed'));
    if (this.openCount < this.size) {
      if (!this.outage) return this.connect();
      if (!this.reconnecting && this.outage.retryDue) return this.reconnect();
      return Promise.reject(this.outage.error);
    }
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private async connect(): Promise<PgConnection> {
    this.openCount++;
    try {
      const connection = await PgConnection.open(this.config);
      this.outage = undefined;
      return connection;
    } catch (err) {
      this.openCount--;
      (this.outage ??= new Outage()).failed(err);
      throw err;
    }
  }

  private async reconnect(): Promise<PgConnection> {
    this.reconnecting = true;
    try {
      return await this.connect();
    } finally {
      this.reconnecting = false;
    }
  }

  private release(connection: PgConnection): void {
    const waiter = this.waiting.shift();
    if (waiter) waiter.resolve(connection);
    else if (this.ending) this.discard(connection);
    else this.idle.push(connection);
  }

  private discard(connection: PgConnection): void {
    this.openCount--;
    void connection.close();
    // A waiter would otherwise sleep forever: it gets a fresh connection, or the outage's error.
    const waiter = this.waiting.shift();
    if (waiter) this.acquire().then(waiter.resolve, waiter.reject);
  }
}
