import { toCounterError } from '../../backends/hazelcast/connect.js';
import { mapEntryOps, readEntry } from './map-methods.js';
import type { MethodContext, MethodOps } from './method.js';
import { toCount, toLong } from '../../backends/hazelcast/values.js';

/**
 * CP Subsystem IAtomicLong.incrementAndGet: one Raft-replicated operation on the CP group's
 * leader, linearizable. Needs a cluster with CP on (see checkCpProxy).
 */
export function atomicOps(ctx: MethodContext): MethodOps {
  const { session } = ctx;
  const config = session.config;
  const where = `CP IAtomicLong ${config.atomicLongName}`;
  return {
    async prepare() {
      await session.atomicLong();
    },
    async increment() {
      let sent = false;
      try {
        const atomic = await session.atomicLong();
        sent = true;
        return toCount(await atomic.incrementAndGet(), where);
      } catch (err) {
        throw toCounterError(config, err, sent);
      }
    },
    async reset() {
      try {
        await (await session.atomicLong()).set(toLong(0));
      } catch (err) {
        throw toCounterError(config, err);
      }
    },
    async read() {
      try {
        return toCount(await (await session.atomicLong()).get(), where);
      } catch (err) {
        throw toCounterError(config, err, false);
      }
    },
  };
}

/**
 * CP Subsystem FencedLock around get/set on the map entry. Unlike the map lock, FencedLock
 * ownership is per acquire in the Node client (each lock() call gets its own "thread id" within
 * the client's CP session), so flows sharing one client still exclude each other. A client that
 * dies holding the lock loses it when its CP session expires (session-time-to-live-seconds).
 */
export function fencedLockOps(ctx: MethodContext): MethodOps {
  const { session } = ctx;
  const config = session.config;
  const entry = mapEntryOps(ctx);
  return {
    ...entry,
    async prepare() {
      await Promise.all([session.fencedLock(), entry.prepare()]);
    },
    async increment() {
      let written = false;
      try {
        const [lock, map] = await Promise.all([session.fencedLock(), session.map()]);
        const fence = await lock.lock();
        try {
          const next = (await readEntry(map, config)) + 1;
          written = true;
          await map.set(config.counterKey, toLong(next));
          return next;
        } finally {
          await lock.unlock(fence);
        }
      } catch (err) {
        throw toCounterError(config, err, written);
      }
    },
  };
}
