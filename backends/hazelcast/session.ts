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
  private mapProxy: Promise<IMap<string, unknown>> | undefined;
  private atomicLongProxy: Promise<IAtomicLong> | undefined;
  private fencedLockProxy: Promise<FencedLock> | undefined;
  private pnCounterProxy: Promise<PNCounter> | undefined;
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
    return (this.mapProxy ??= retryable(
      () => this.client.getMap<string, unknown>(this.config.mapName),
      () => {
        this.mapProxy = undefined;
      },
    ));
  }

  atomicLong(): Promise<IAtomicLong> {
    return (this.atomicLongProxy ??= retryable(
      () =>
        this.cpProxy(
          this.client.getCPSubsystem().getAtomicLong(this.config.atomicLongName),
          this.config.atomicLongName,
          'IAtomicLong',
        ),
      () => {
        this.atomicLongProxy = undefined;
      },
    ));
  }

  fencedLock(): Promise<FencedLock> {
    return (this.fencedLockProxy ??= retryable(
      () =>
        this.cpProxy(
          this.client.getCPSubsystem().getLock(this.config.fencedLockName),
          this.config.fencedLockName,
          'FencedLock',
        ),
      () => {
        this.fencedLockProxy = undefined;
      },
    ));
  }

  pnCounter(): Promise<PNCounter> {
    return (this.pnCounterProxy ??= retryable(
      () => this.client.getPNCounter(this.config.pnCounterName),
      () => {
        this.pnCounterProxy = undefined;
      },
    ));
  }

  /**
   * Forgets the CP proxies when `err` says their group is gone: the client reconnected to a
   * cluster restarted from scratch, whose CP groups are new. The next call fetches them again.
   */
  forgetStaleProxies(err: unknown): void {
    if (!(err instanceof CPGroupDestroyedError)) return;
    this.atomicLongProxy = undefined;
    this.fencedLockProxy = undefined;
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
function retryable<T>(fetch: () => Promise<T>, forget: () => void): Promise<T> {
  return fetch().catch((err: unknown) => {
    forget();
    throw err;
  });
}
