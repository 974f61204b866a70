/** Faults on the link between the web server (in its namespace) and its store, as `tc netem` rules. */
import type { Fault } from './fault.js';
import type { ServerNetwork } from './server-network.js';

/** The delay `latency` adds to every packet from the server to its store, and its jitter. */
export const LATENCY_NETEM = ['delay', '50ms', '10ms'];

function storeLinkRule(name: string, network: ServerNetwork, netem: string[], what: string): Fault {
  return {
    name,
    async start() {
      await network.setStoreRule(netem);
      return `${what} (tc netem ${netem.join(' ')} on ${network.store.insideName})`;
    },
    async stop() {
      await network.setStoreRule(undefined);
      return `rule lifted from ${network.store.insideName}`;
    },
  };
}

/** Every packet from the server to its store is dropped: its connections stall, new ones never open. */
export function partition(network: ServerNetwork): Fault {
  return storeLinkRule('partition', network, ['loss', '100%'], 'server cut off from its store');
}

export function latency(network: ServerNetwork): Fault {
  return storeLinkRule('latency', network, LATENCY_NETEM, `${LATENCY_NETEM[1]} ± ${LATENCY_NETEM[2]} added towards the store`);
}
