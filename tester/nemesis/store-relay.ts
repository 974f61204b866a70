import net from 'node:net';

/**
 * Forwards TCP connections from `listen` to the store at `target`: the server in its network
 * namespace reaches a store that listens only on this machine's loopback through it.
 */
export interface StoreRelay {
  /** Stops listening and cuts every relayed connection. */
  close(): void;
}

export function startStoreRelay(listen: { host: string; port: number }, target: { host: string; port: number }): Promise<StoreRelay> {
  const sockets = new Set<net.Socket>();
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
    inbound.pipe(outbound).pipe(inbound);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ ...listen, exclusive: true }, () =>
      resolve({
        close() {
          server.close();
          sockets.forEach((socket) => socket.destroy());
        },
      }),
    );
  });
}
