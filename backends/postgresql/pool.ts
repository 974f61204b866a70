import { Outage } from '../outage.js';

/** What the pool needs of a connection: PgConnection, or a stand-in in the pool's own tests. */
export interface Pooled {
  /** True once the connection is broken (the server went away, a statement timed out). */
  readonly lost: boolean;
  close(): Promise<void>;
}

/** The pool was ended: no connection will be handed out any more. */
export class PoolEndedError extends Error {
  constructor(message = 'pool is closed') {
    super(message);
    this.name = 'PoolEndedError';
  }
}

export interface PoolOptions {
  /** Connections open at most; callers beyond that wait for one. */
  size: number;
  /** What calls get once the pool was ended. */
  endedError?: () => Error;
  /**
   * Whether a connection whose work failed with `err` may serve the next call. Default: never,
   * so a restarted server is always reconnected to; a caller whose statements fail on purpose
   * (serialization conflicts) keeps its connections unless they were lost.
   */
  reusableAfter?: (err: unknown) => boolean;
}

interface Waiter<C> {
  resolve(connection: C): void;
  reject(err: unknown): void;
}

/**
 * At most `size` connections handed out one caller at a time (libpq runs one statement per
 * connection). Connections open lazily; a connection whose work failed is dropped (unless
 * `reusableAfter` says otherwise), so a restarted server is reconnected to on the next call.
 * Once a connect fails, calls that find no open connection fail at once with that error, and
 * only one connect at a time is tried again, paced by Outage, until one succeeds.
 */
export class Pool<C extends Pooled> {
  private readonly idle: C[] = [];
  private readonly waiting: Waiter<C>[] = [];
  private openCount = 0;
  private ending = false;
  private outage: Outage | undefined;
  private reconnecting = false;

  private readonly size: number;
  private readonly endedError: () => Error;
  private readonly reusableAfter: (err: unknown) => boolean;

  constructor(
    private readonly open: () => Promise<C>,
    options: PoolOptions,
  ) {
    this.size = options.size;
    this.endedError = options.endedError ?? (() => new PoolEndedError());
    this.reusableAfter = options.reusableAfter ?? (() => false);
  }

  /** Connections open now, idle or in use. */
  get totalCount(): number {
    return this.openCount;
  }

  get idleCount(): number {
    return this.idle.length;
  }

  /** Callers waiting for a connection to come back. */
  get waitingCount(): number {
    return this.waiting.length;
  }

  run<T>(work: (connection: C) => Promise<T>): Promise<T> {
    // An idle connection is handed over in this very turn, so the statement leaves at once.
    const connection = this.idleConnection();
    if (connection) return this.runOn(connection, work);
    return this.acquire().then((acquired) => this.runOn(acquired, work));
  }

  /** Closes the idle connections and refuses new work; connections in use close when released. */
  async end(): Promise<void> {
    this.ending = true;
    for (const waiter of this.waiting.splice(0)) waiter.reject(this.endedError());
    const idle = this.idle.splice(0);
    this.openCount -= idle.length;
    await Promise.all(idle.map((connection) => connection.close()));
  }

  /** An idle connection that still works: one lost while idle (a server restart) is dropped, not handed out. */
  private idleConnection(): C | undefined {
    let connection = this.idle.pop();
    while (connection?.lost) {
      this.openCount--;
      void connection.close();
      connection = this.idle.pop();
    }
    return connection;
  }

  private async runOn<T>(connection: C, work: (connection: C) => Promise<T>): Promise<T> {
    try {
      const result = await work(connection);
      this.release(connection);
      return result;
    } catch (err) {
      if (!connection.lost && this.reusableAfter(err)) this.release(connection);
      else this.discard(connection);
      throw err;
    }
  }

  private acquire(): Promise<C> {
    if (this.ending) return Promise.reject(this.endedError());
    if (this.openCount < this.size) {
      if (!this.outage) return this.connect();
      if (!this.reconnecting && this.outage.retryDue) return this.reconnect();
      return Promise.reject(this.outage.error);
    }
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private async connect(): Promise<C> {
    this.openCount++;
    try {
      const connection = await this.open();
      this.outage = undefined;
      return connection;
    } catch (err) {
      this.openCount--;
      (this.outage ??= new Outage()).failed(err);
      throw err;
    }
  }

  private async reconnect(): Promise<C> {
    this.reconnecting = true;
    try {
      return await this.connect();
    } finally {
      this.reconnecting = false;
    }
  }

  private release(connection: C): void {
    const waiter = this.waiting.shift();
    if (waiter) waiter.resolve(connection);
    else if (this.ending) this.discard(connection);
    else this.idle.push(connection);
  }

  private discard(connection: C): void {
    this.openCount--;
    void connection.close();
    // A waiter would otherwise sleep forever: it gets a fresh connection, or the outage's error.
    const waiter = this.waiting.shift();
    if (waiter) this.acquire().then(waiter.resolve, waiter.reject);
  }
}
