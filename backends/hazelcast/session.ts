import { CPGroupDestroyedError, type FencedLock, type IAtomicLong, type IMap, type PNCounter } from 'hazelcast-client';
import type { HazelcastConfig } from './config.js';
import {
  checkCpProxy,
  connectHazelcast,
  type ConnectOptions,
  describeCluster,
  type HazelcastClient,
  START_HINT,
  withTimeout,
} from './connect.js';

/** Fetching a CP proxy commits to the METADATA group; a cluster whose CP never forms would hang. */
const CP_READY_TIMEOUT_MS = 30_000;

/**
 * One Hazelcast client and the proxies it has fetched. CP proxies cost a Raft commit to fetch,
 * so they are fetched once per client and reused; every counter on this client shares them.
 */
export class HazelcastSession {
  private readonly mapProxy = new CachedFetch<IMap<string, unknown>>();
  private readonly atomicLongProxy = new CachedFetch<IAtomicLong>();
  private readonly fencedLockProxy = new CachedFetch<FencedLock>();
  private readonly pnCounterProxy = new CachedFetch<PNCounter>();
  private shutdownPromise: Promise<void> | undefined;

  private constructor(
    readonly client: HazelcastClient,
    readonly config: HazelcastConfig,
  ) {}

  static async open(config: HazelcastConfig, options: ConnectOptions = {}): Promise<HazelcastSession> {
    return new HazelcastSession(await connectHazelcast(config, options), config);
  }

  get closed(): boolean {
    return this.shutdownPromise !== undefined;
  }

  /** False once the client shut down: closed by us, or given up after HZ_CONNECT_TIMEOUT_MS without a member. */
  get running(): boolean {
    return this.client.getLifecycleService().isRunning();
  }

  map(): Promise<IMap<string, unknown>> {
    return this.mapProxy.get(() => this.client.getMap<string, unknown>(this.config.mapName));
  }

  atomicLong(): Promise<IAtomicLong> {
    const { atomicLongName } = this.config;
    return this.atomicLongProxy.get(() =>
      this.cpProxy(this.client.getCPSubsystem().getAtomicLong(atomicLongName), atomicLongName, 'IAtomicLong'),
    );
  }

  fencedLock(): Promise<FencedLock> {
    const { fencedLockName } = this.config;
    return this.fencedLockProxy.get(() =>
      this.cpProxy(this.client.getCPSubsystem().getLock(fencedLockName), fencedLockName, 'FencedLock'),
    );
  }

  pnCounter(): Promise<PNCounter> {
    return this.pnCounterProxy.get(() => this.client.getPNCounter(this.config.pnCounterName));
  }

  /**
   * Forgets the CP proxies when `err` says their group is gone: the client reconnected to a
   * cluster restarted from scratch, whose CP groups are new. The next call fetches them again.
   */
  forgetStaleProxies(err: unknown): void {
    if (!(err instanceof CPGroupDestroyedError)) return;
    this.atomicLongProxy.forget();
    this.fencedLockProxy.forget();
  }

  shutdown(): Promise<void> {
    return (this.shutdownPromise ??= this.client.shutdown().catch(() => {}));
  }

  private async cpProxy<T extends object>(fetch: Promise<T>, name: string, what: string): Promise<T> {
    const proxy = await withTimeout(
      fetch,
      CP_READY_TIMEOUT_MS,
      () =>
        `${describeCluster(this.config)} did not create the CP ${what} within ${CP_READY_TIMEOUT_MS / 1000} s: ` +
        `its CP Subsystem is not ready (fewer members than cp-member-count?); ${START_HINT}`,
    );
    checkCpProxy(this.config, proxy, name, what);
    return proxy;
  }
}

/** Caches a fetch, but forgets a failed one so the next call tries again. */
class CachedFetch<T> {
  private promise: Promise<T> | undefined;

  get(fetch: () => Promise<T>): Promise<T> {
    return (this.promise ??= fetch().catch((err: unknown) => {
      this.promise = undefined;
      throw err;
    }));
  }

  forget(): void {
    this.promise = undefined;
  }
}
