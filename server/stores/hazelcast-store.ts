import type { HazelcastConfig } from '../../backends/hazelcast/config.js';
import { HazelcastSession } from '../../backends/hazelcast/session.js';
import { toCount, toLong } from '../../backends/hazelcast/values.js';
import type { ServerConfig } from '../config.js';
import { IncrementCoalescer } from './increment-coalescer.js';
import type { Store } from './store.js';

/**
 * The count in the cluster's CP IAtomicLong (Raft-replicated, linearizable), so web counters
 * on several hosts share it. One client per worker; its proxy is fetched once.
 */
export class HazelcastStore implements Store {
  readonly description: string;
  private readonly coalescer: IncrementCoalescer | undefined;
  private readonly where: string;

  private constructor(private readonly session: Promise<HazelcastSession>, config: ServerConfig, hazelcast: HazelcastConfig) {
    this.where = `CP IAtomicLong ${hazelcast.atomicLongName}`;
    this.description = `hazelcast (${this.where} on ${hazelcast.members.join(',')}${config.coalesce ? ', coalescing' : ''})`;
    if (config.coalesce) this.coalescer = new IncrementCoalescer((k) => this.add(k), config.coalesceMaxBatch);
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
    const session = HazelcastSession.open(config.hazelcast!);
    // Requests before the connection is up wait on it; a failure is answered 503 per request.
    session.catch(() => {});
    return new HazelcastStore(session, config, config.hazelcast!);
  }

  increment(): Promise<number> {
    return this.coalescer ? this.coalescer.increment() : this.add(1);
  }

  async read(): Promise<number> {
    return toCount(await (await this.atomicLong()).get(), this.where);
  }

  async reset(): Promise<void> {
    await (await this.atomicLong()).set(toLong(0));
  }

  async close(): Promise<void> {
    await (await this.session.catch(() => undefined))?.shutdown();
  }

  private async add(k: number): Promise<number> {
    return toCount(await (await this.atomicLong()).addAndGet(toLong(k)), this.where);
  }

  private async atomicLong() {
    return (await this.session).atomicLong();
  }
}
