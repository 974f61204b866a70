import type { PNCounter } from 'hazelcast-client';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HazelcastConfig } from '../../backends/hazelcast/config.js';
import { toCounterError } from '../../backends/hazelcast/connect.js';
import type { MethodContext, MethodOps } from './method.js';
import { toCount } from '../../backends/hazelcast/values.js';

/** The most a settled read waits for the replicas to stop changing. */
const SETTLE_LIMIT_MS = 10_000;

function where(config: HazelcastConfig): string {
  return `PN counter ${config.pnCounterName}`;
}

/**
 * A read that waits until the value holds still for `config.pnSettleMs` (bounded by
 * SETTLE_LIMIT_MS): replicas exchange their state periodically, so right after a run the
 * replica this client reads may not have seen the others' increments yet.
 */
export async function settledRead(counter: PNCounter, config: HazelcastConfig): Promise<number> {
  let value = toCount(await counter.get(), where(config));
  if (config.pnSettleMs === 0) return value;
  const deadline = Date.now() + SETTLE_LIMIT_MS;
  while (Date.now() < deadline) {
    await sleep(config.pnSettleMs);
    const again = toCount(await counter.get(), where(config));
    if (again === value) break;
    value = again;
  }
  return value;
}

/**
 * CRDT PNCounter.incrementAndGet. Each client talks to one replica (chosen at random by the
 * client) which applies the increment locally and answers with *its* current value; replicas
 * merge their states every CRDT replication period. So no increment is ever lost (after the run
 * every replica converges to the exact total), but the values returned are not linearizable:
 * clients on different replicas see stale values and repeat each other's.
 *
 * reset() cannot set a PN counter: it reads the (settled) value v and adds -v. Increments by
 * other clients during a reset are not supported (they may be cancelled or survive it).
 */
export function pnCounterOps(ctx: MethodContext): MethodOps {
  const { session } = ctx;
  const config = session.config;
  return {
    async prepare() {
      await session.pnCounter();
    },
    async increment() {
      let sent = false;
      try {
        const counter = await session.pnCounter();
        sent = true;
        return toCount(await counter.incrementAndGet(), where(config));
      } catch (err) {
        throw toCounterError(config, err, sent);
      }
    },
    async reset() {
      try {
        const counter = await session.pnCounter();
        const value = await settledRead(counter, config);
        if (value !== 0) await counter.addAndGet(-value);
      } catch (err) {
        throw toCounterError(config, err);
      }
    },
    async read() {
      try {
        return await settledRead(await session.pnCounter(), config);
      } catch (err) {
        throw toCounterError(config, err, false);
      }
    },
  };
}
