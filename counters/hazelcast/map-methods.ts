import { LostRace, type RaceRetries, retryLostRaces } from '../../backends/retry-backoff.js';
import type { IMap } from 'hazelcast-client';
import { CounterError } from '../counter.js';
import type { HazelcastConfig } from '../../backends/hazelcast/config.js';
import { toCounterError } from '../../backends/hazelcast/connect.js';
import type { MethodContext, MethodOps } from './method.js';
import { toCount, toLong } from '../../backends/hazelcast/values.js';

/** A replaceIfSame (or putIfAbsent) that found another client's value: nothing was written. */
const LOST_SWAP = new LostRace('replaceIfSame lost the race');

/** `counter-map[count]`, for messages. */
export function entryName(config: HazelcastConfig): string {
  return `map ${config.mapName}[${config.counterKey}]`;
}

export async function readEntry(map: IMap<string, unknown>, config: HazelcastConfig): Promise<number> {
  return toCount(await map.get(config.counterKey), entryName(config));
}

/** Get, +1, set: the read-modify-write every map method does, inside or outside a lock. */
export async function incrementEntry(map: IMap<string, unknown>, config: HazelcastConfig): Promise<number> {
  const next = (await readEntry(map, config)) + 1;
  await map.set(config.counterKey, toLong(next));
  return next;
}

/** Map-entry ops shared by every method that keeps the count in the IMap. */
export function mapEntryOps(ctx: MethodContext): Pick<MethodOps, 'reset' | 'read' | 'prepare'> {
  const { session } = ctx;
  const config = session.config;
  return {
    async prepare() {
      await session.map();
    },
    async reset() {
      try {
        const map = await session.map();
        // A lock left on the key (a client killed holding it, or one whose lock the cluster kept
        // through a member's death) would hold the set, and every run after it, for ever.
        await map.forceUnlock(config.counterKey);
        await map.set(config.counterKey, toLong(0));
      } catch (err) {
        throw toCounterError(config, err);
      }
    },
    async read() {
      try {
        return await readEntry(await session.map(), config);
      } catch (err) {
        throw toCounterError(config, err, false);
      }
    },
  };
}

/** Get, +1, set with nothing in between: concurrent clients overwrite each other's increments. */
export function noLockOps(ctx: MethodContext): MethodOps {
  const config = ctx.session.config;
  return {
    ...mapEntryOps(ctx),
    async increment() {
      try {
        return await incrementEntry(await ctx.session.map(), config);
      } catch (err) {
        throw toCounterError(config, err);
      }
    },
  };
}

/**
 * IMap.lock(key) around get/set. The map lock is owned by the client instance (the Node client
 * sends the same "thread" for every call), so it only excludes other *clients*: each simulated
 * user of this method needs its own client, which the factory gives it.
 */
export function pessimisticOps(ctx: MethodContext): MethodOps {
  const config = ctx.session.config;
  return {
    ...mapEntryOps(ctx),
    async increment() {
      let locked = false;
      let written = false;
      try {
        const map = await ctx.session.map();
        await map.lock(config.counterKey);
        locked = true;
        try {
          const next = (await readEntry(map, config)) + 1;
          written = true; // from here on the write may have reached the member
          await map.set(config.counterKey, toLong(next));
          return next;
        } finally {
          await map.unlock(config.counterKey);
        }
      } catch (err) {
        throw toCounterError(config, err, locked && written);
      }
    },
  };
}

/** An optimistic increment that lost every race the retry policy allows: not applied. */
export function optimisticGaveUp(config: HazelcastConfig): CounterError {
  return new CounterError(
    `Hazelcast ${entryName(config)}: replaceIfSame lost the race ${config.retry.maxRetries + 1} times; gave up ` +
      `after HZ_MAX_RETRIES=${config.retry.maxRetries} retries`,
    'conflict',
  );
}

/**
 * Get, then replaceIfSame(key, old, old+1), which the owning member applies only if the entry
 * still holds `old` (byte for byte, so the very value read is passed back as `old`). A lost
 * race is retried after a jittered backoff; after `maxRetries` retries the increment fails with
 * kind 'conflict' (not applied).
 */
export function optimisticOps(ctx: MethodContext): MethodOps {
  const config = ctx.session.config;
  const retries: RaceRetries = {
    policy: config.retry,
    onRetry: ctx.onRetry,
    giveUp: () => optimisticGaveUp(config),
  };
  return {
    ...mapEntryOps(ctx),
    async increment() {
      let writing = false;
      try {
        const map = await ctx.session.map();
        return await retryLostRaces(retries, async () => {
          writing = false;
          const current = await map.get(config.counterKey);
          const next = toCount(current, entryName(config)) + 1;
          writing = true;
          const swapped =
            current === null || current === undefined
              ? (await map.putIfAbsent(config.counterKey, toLong(next))) === null
              : await map.replaceIfSame(config.counterKey, current, toLong(next));
          return swapped ? next : LOST_SWAP;
        });
      } catch (err) {
        throw toCounterError(config, err, writing);
      }
    },
  };
}
