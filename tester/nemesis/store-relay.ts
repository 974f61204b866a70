import net from 'node:net';

/** A one-way delay: each chunk waits `meanMs` ± up to `jitterMs` (uniform), order kept. */
export interface Delay {
  meanMs: number;
  jitterMs: number;
}

export interface StoreRelay {
  /** Delays what the server sends to the store from now on; undefined: no delay. */
  setDelay(delay: Delay | undefined): void;
  /** Stops listening and cuts every relayed connection. */
  close(): void;
}

/**
 * Forwards TCP connections from `listen` to the store at `target`: the server in its network
 * namespace reaches a store that listens only on this machine's loopback through it, and the
 * relay can slow that path down.
 */
type Address = { host: string; port: number };

export function startStoreRelay(listen: Address, target: Address): Promise<StoreRelay> {
  const sockets = new Set<net.Socket>();
  let delay: Delay | undefined;
  const server = net.createServer((inbound) => {
    const outbound = net.connect(target);
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.on('error', () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    forwardDelayed(inbound, outbound, () => delay);
    outbound.pipe(inbound);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ ...listen, exclusive: true }, () =>
      resolve({
        setDelay(next) {
          delay = next;
        },
        close() {
          server.close();
          sockets.forEach((socket) => socket.destroy());
        },
      }),
    );
  });
}

/** Copies `from` to `to`, each chunk held for the delay in force when it arrived; chunks never overtake. */
function forwardDelayed(from: net.Socket, to: net.Socket, delayNow: () => Delay | undefined): void {
  const queue: Array<{ dueMs: number; chunk: Buffer }> = [];
  let timer: NodeJS.Timeout | undefined;
  let lastDueMs = 0;
  const drain = () => {
    timer = undefined;
    const now = performance.now();
    while (queue.length > 0 && queue[0].dueMs <= now) to.write(queue.shift()!.chunk);
    if (queue.length > 0) timer = setTimeout(drain, queue[0].dueMs - now);
  };
  from.on('data', (chunk: Buffer) => {
    const delay = delayNow();
    if (!delay && queue.length === 0) {
      to.write(chunk);
      return;
    }
    const heldMs = delay ? delay.meanMs + (Math.random() * 2 - 1) * delay.jitterMs : 0;
    lastDueMs = Math.max(performance.now() + heldMs, lastDueMs);
    queue.push({ dueMs: lastDueMs, chunk });
    timer ??= setTimeout(drain, queue[0].dueMs - performance.now());
  });
  from.once('end', () => to.end());
  from.once('close', () => clearTimeout(timer));
}
