/**
 * Faults on the path between the web server (in its namespace) and its store. `partition` is a
 * kernel rule on the server's store link. `latency` is added by the store relay: `tc netem`
 * would be the natural tool, but kernels built without sch_netem (Firecracker's, for one)
 * refuse it, while the relay works on every kernel.
 */
import type { Fault } from './fault.js';
import type { ServerNetwork } from './server-network.js';
import type { Delay } from './store-relay.js';

/** A token bucket whose bucket holds less than any packet: the kernel drops every packet, silently. */
const DROP_EVERYTHING = ['tbf', 'rate', '8bit', 'burst', '1', 'limit', '1'];

/** What `latency` adds to everything the server sends to its store. */
export const STORE_LATENCY: Delay = { meanMs: 50, jitterMs: 10 };

/** Every packet from the server to its store is dropped: its connections stall, new ones never open. */
export function partition(network: ServerNetwork): Fault {
  const link = network.store.insideName;
  return {
    name: 'partition',
    async start() {
      await network.setStoreQdisc(DROP_EVERYTHING);
      return `server cut off from its store: every packet on ${link} dropped (tc qdisc ${DROP_EVERYTHING.join(' ')})`;
    },
    async stop() {
      await network.setStoreQdisc(undefined);
      return `${link} carries packets again`;
    },
  };
}

export function latency(network: ServerNetwork): Fault {
  return {
    name: 'latency',
    async start() {
      network.setStoreDelay(STORE_LATENCY);
      return `${STORE_LATENCY.meanMs} ms ± ${STORE_LATENCY.jitterMs} ms added to what the server sends its store`;
    },
    async stop() {
      network.setStoreDelay(undefined);
      return 'store latency back to normal';
    },
  };
}
