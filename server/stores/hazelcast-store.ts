import type { IAtomicLong } from 'hazelcast-client';
import type { HazelcastConfig } from '../../backends/hazelcast/config.js';
import { describeCluster } from '../../backends/hazelcast/connect.js';
import { HazelcastSession } from '../../backends/hazelcast/session.js';
import { toCount, toLong } from '../../backends/hazelcast/values.js';
import type { ServerConfig } from '../config.js';
import { Outage } from '../../backends/outage.js';
import type { RemoteStore } from './store.js';

/**
 * The count in the cluster's CP IAtomicLong (Raft-replicated, linearizable), so web counters
 * on several hosts share it. One client per worker; its proxy is fetched once.
 *
 * When the cluster is gone, calls fail at once (the client runs with failWhileOffline) and
 * the client gives up after HZ_CONNECT_TIMEOUT_MS; the store then connects a new client in the
 * background, one at a time, paced by Outage, while requests are answered 503 at once.
 */
export class HazelcastStore implements RemoteStore {
  readonly description: string;
  private readonly where: string;
  private session: HazelcastSession | undefined;
  private connecting: Promise<HazelcastSession> | undefined;
  private outage: Outage | undefined;
  private closing = false;

  private constructor(private readonly hazelcast: HazelcastConfig) {
    this.where = `CP IAtomicLong ${hazelcast.atomicLongName}`;
    this.description = `hazelcast (${this.where} on ${hazelcast.members.join(',')})`;
  }

  /** Primary: fails at startup, in one line, on an unreachable cluster or one without CP. */
  static async prepare(config: ServerConfig): Promise<{ release(): void }> {
    const session = await HazelcastSession.open(config.hazelcast!);
    try {
      await session.atomicLong();
    } finally {
      await session.shutdown();
    }
    return { release: () => {} };
  }

  static open(config: ServerConfig): HazelcastStore {
    const store = new HazelcastStore(config.hazelcast!);
    // Requests before the first connection is up wait on it; a failure is answered 503 per request.
    store.connect().catch(() => {});
    return store;
  }

  increment(): Promise<number> {
    return this.add(1);
  }

  async read(): Promise<number> {
    return toCount(await this.onAtomicLong((atomic) => atomic.get()), this.where);
  }

  async reset(): Promise<void> {
    await this.onAtomicLong((atomic) => atomic.set(toLong(0)));
  }

  /** A connect still in flight (up to HZ_CONNECT_TIMEOUT_MS in an outage) shuts its client down when it ends. */
  async close(): Promise<void> {
    this.closing = true;
    await this.session?.shutdown();
  }

  async add(k: number): Promise<number> {
    return toCount(await this.onAtomicLong((atomic) => atomic.addAndGet(toLong(k))), this.where);
  }

  private async onAtomicLong<T>(call: (atomic: IAtomicLong) => Promise<T>): Promise<T> {
    const session = await this.liveSession();
    try {
      return await call(await session.atomicLong());
    } catch (err) {
      session.forgetStaleProxies(err);
      throw err;
    }
  }

  /** The connected session; during an outage, the outage's error at once. */
  private liveSession(): HazelcastSession | Promise<HazelcastSession> {
    if (this.session?.running) return this.session;
    if (this.closing) return Promise.reject(new Error('the store is closed'));
    if (this.session) {
      // The client gave up on the cluster: it cannot be used again.
      void this.session.shutdown();
      this.session = undefined;
      (this.outage ??= new Outage()).failed(
        new Error(
          `${describeCluster(this.hazelcast)}: no member answered within ${this.hazelcast.connectTimeoutMs} ms`,
        ),
      );
    }
    if (!this.outage) return this.connecting ?? this.connect();
    if (!this.connecting && this.outage.retryDue) this.connect().catch(() => {});
    return Promise.reject(this.outage.error);
  }

  private connect(): Promise<HazelcastSession> {
    this.connecting = HazelcastSession.open(this.hazelcast, { failWhileOffline: true }).then(
      (session) => {
        this.connecting = undefined;
        if (this.closing) void session.shutdown();
        else this.session = session;
        this.outage = undefined;
        return session;
      },
      (err: unknown) => {
        this.connecting = undefined;
        (this.outage ??= new Outage()).failed(err);
        throw err;
      },
    );
    return this.connecting;
  }
}
