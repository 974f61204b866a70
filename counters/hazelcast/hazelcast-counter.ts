import { type Counter, CounterError, type CounterFactory } from '../counter.js';
import { ConfigError, type Env } from '../../backends/env.js';
import { type HazelcastConfig, readHazelcastConfig } from '../../backends/hazelcast/config.js';
import { describeCluster } from '../../backends/hazelcast/connect.js';
import { atomicOps, fencedLockOps } from './cp-methods.js';
import { noLockOps, optimisticOps, pessimisticOps } from './map-methods.js';
import {
  DEFAULT_HAZELCAST_METHOD,
  type HazelcastMethod,
  type MethodContext,
  type MethodOps,
  parseHazelcastMethod,
} from './method.js';
import { nativeHzLoader, openNativeHzEngine } from './native-engine.js';
import { pnCounterOps } from './pn-counter-method.js';
import { HazelcastSession } from '../../backends/hazelcast/session.js';

export {
  HAZELCAST_ENV_DEFAULTS,
  type HazelcastConfig,
  readHazelcastConfig,
} from '../../backends/hazelcast/config.js';
export {
  DEFAULT_HAZELCAST_METHOD,
  HAZELCAST_METHODS,
  type HazelcastMethod,
  isHazelcastMethod,
  parseHazelcastMethod,
} from './method.js';
export { connectHazelcast, type HazelcastClient } from '../../backends/hazelcast/connect.js';

const OPS: Record<HazelcastMethod, (ctx: MethodContext) => MethodOps> = {
  no_lock: noLockOps,
  pessimistic: pessimisticOps,
  optimistic: optimisticOps,
  atomic: atomicOps,
  fenced_lock: fencedLockOps,
  pn_counter: pnCounterOps,
};

/**
 * Whether each simulated user gets its own Hazelcast client (own connections to every member)
 * or all users of a factory share one:
 * - pessimistic: own client, necessarily: the map lock belongs to the client instance, so
 *   users sharing a client would all "hold" it at once.
 * - pn_counter: own client: a client sticks to one replica, so users sharing a client would all
 *   hit the same replica and hide the CRDT's behaviour (stale, repeated values).
 * - the others: shared. Their operations carry no client-side ownership (FencedLock ownership
 *   is per lock() call in the Node client), and one client pipelines the users' concurrent
 *   requests into fewer writes: measured 1.1-2x faster at 10 users on 2 cores, and far lighter
 *   with hundreds of users.
 */
export const CLIENT_PER_USER: Readonly<Record<HazelcastMethod, boolean>> = {
  no_lock: false,
  pessimistic: true,
  optimistic: false,
  atomic: false,
  fenced_lock: false,
  pn_counter: true,
};

export interface HazelcastFactoryOptions {
  /**
   * native (default): the load's increments run in the addon's epoll loop (native/hz-loader/),
   * one connection per user, off the JS thread; js: hazelcast-client, per CLIENT_PER_USER. The tester's own calls (reset, reads) are JS.
   */
  engine?: 'native' | 'js';
  /**
   * Override: one client per open() (true) or one client shared by all (false). Sharing is
   * refused for pessimistic, whose lock would then exclude nothing.
   */
  clientPerUser?: boolean;
}

class HazelcastCounter implements Counter {
  retryCount = 0;
  private closed = false;
  readonly ops: MethodOps;

  constructor(
    private readonly session: HazelcastSession,
    method: HazelcastMethod,
    private readonly ownsSession: boolean,
    private readonly onClose: (counter: HazelcastCounter) => void,
  ) {
    this.ops = OPS[method]({
      session,
      onRetry: () => {
        this.retryCount++;
      },
    });
  }

  increment(): Promise<number | undefined> {
    return this.guard(() => this.ops.increment());
  }

  reset(): Promise<void> {
    return this.guard(() => this.ops.reset());
  }

  read(): Promise<number> {
    return this.guard(() => this.ops.read());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onClose(this);
    if (this.ownsSession) await this.session.shutdown();
  }

  private guard<T>(op: () => Promise<T>): Promise<T> {
    if (this.closed || this.session.closed) {
      return Promise.reject(new CounterError('Hazelcast counter is closed', 'refused'));
    }
    return op();
  }
}

/** Open-time failures are the user's to fix: one line, never a stack. */
function openError(config: HazelcastConfig, err: unknown): Error {
  if (err instanceof ConfigError) return err;
  const text = err instanceof Error ? err.message.trim().split('\n')[0] : String(err);
  return new ConfigError(`cannot use ${describeCluster(config)}: ${text}`, { cause: err });
}

/**
 * The tester's entry point for `hazelcast/<method>`. Settings come from HZ_* variables in `env`
 * (see HAZELCAST_ENV_DEFAULTS), read at the first open(). Each open() is one simulated user,
 * on its own Hazelcast client or the factory's shared one (see CLIENT_PER_USER), with its
 * proxies fetched up front so an unreachable cluster or a cluster without CP fails there with
 * a one-line ConfigError.
 */
export function hazelcastCounterFactory(
  method: HazelcastMethod = DEFAULT_HAZELCAST_METHOD,
  env: Env = process.env,
  options: HazelcastFactoryOptions = {},
): CounterFactory {
  parseHazelcastMethod(method);
  const clientPerUser = options.clientPerUser ?? CLIENT_PER_USER[method];
  if (!clientPerUser && method === 'pessimistic') {
    throw new ConfigError(
      'hazelcast/pessimistic needs one client per user: the map lock belongs to the client instance',
    );
  }
  const counters = new Set<HazelcastCounter>();
  const native = options.engine === 'js' ? undefined : nativeHzLoader();
  let config: HazelcastConfig | undefined;
  let shared: Promise<HazelcastSession> | undefined;

  const sharedSession = (cfg: HazelcastConfig): Promise<HazelcastSession> =>
    (shared ??= HazelcastSession.open(cfg).catch((err: unknown) => {
      shared = undefined; // let a later open try again
      throw err;
    }));

  const opening = new Set<Promise<Counter>>();

  const openCounter = async (): Promise<Counter> => {
    config ??= readHazelcastConfig(env);
    const cfg = config;
    const session = clientPerUser
      ? await HazelcastSession.open(cfg, { oneCallAtATime: true })
      : await sharedSession(cfg);
    const counter = new HazelcastCounter(session, method, clientPerUser, (c) => counters.delete(c));
    counters.add(counter);
    try {
      await counter.ops.prepare();
    } catch (err) {
      await counter.close();
      throw openError(cfg, err);
    }
    return counter;
  };

  return {
    name: `hazelcast/${method}`,
    // Only no_lock loses acknowledged increments. pn_counter never does, but its count is exact
    // only once the replicas have converged, which its read() waits for.
    promisesExact: method !== 'no_lock',
    // pn_counter answers with its replica's view: values repeat and go stale across clients.
    linearizable: method !== 'no_lock' && method !== 'pn_counter',
    open(): Promise<Counter> {
      const attempt = openCounter();
      opening.add(attempt);
      const forget = () => opening.delete(attempt);
      attempt.then(forget, forget);
      return attempt;
    },
    openEngine:
      native &&
      (async (clientCount) => {
        config ??= readHazelcastConfig(env);
        const cfg = config;
        try {
          const session = await sharedSession(cfg);
          if (method === 'atomic') await session.atomicLong();
          return await openNativeHzEngine(native, session, method, clientCount);
        } catch (err) {
          throw openError(cfg, err);
        }
      }),
    async close(): Promise<void> {
      // A client still connecting would otherwise outlive the factory and keep the process up.
      await Promise.allSettled([...opening]);
      await Promise.all([...counters].map((counter) => counter.close()));
      const session = shared;
      shared = undefined;
      if (session) await (await session.catch(() => undefined))?.shutdown();
    },
  };
}
