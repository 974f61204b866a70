import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * How the server answers one increment, given the count after it: the bytes to write (split
 * into writes sent 5 ms apart), then what happens to the connection.
 */
export interface ScriptedAnswer {
  writes: (count: number) => string[];
  /** The first write waits this long (a slow answer); the increment is counted at once. */
  delayMs?: number;
  /** `close`: end the connection after the writes; `reset`: destroy it; `silent`: write nothing more. */
  then?: 'close' | 'reset' | 'silent';
}

export interface ScriptedServer {
  port: number;
  /** Increments received (each one applied, whatever the answer). */
  readonly count: number;
  /** Stops listening for `ms` (open connections are reset), then listens on the same port again. */
  /** Closes the port for `ms`; resolves with how long it was closed in fact (longer on a busy host). */
  refuseFor(ms: number): Promise<number>;
  close(): Promise<void>;
}

const json = (status: string, body: string) =>
  `HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

/** An answer with a Content-Length, keep-alive. */
export const lengthAnswer = (status: string, body: (count: number) => string): ScriptedAnswer => ({
  writes: (n) => [json(status, body(n))],
});

/**
 * A raw HTTP/1.1 counter answering its n-th increment (over all connections) with
 * `script[n % script.length]`; POST /reset and GET /count answer {"count":N}. Raw bytes, so
 * every framing, broken or not, can be sent.
 */
export async function startScriptedServer(script: ScriptedAnswer[]): Promise<ScriptedServer> {
  let count = 0;
  const sockets = new Set<net.Socket>();
  const answer = (socket: net.Socket, head: string) => {
    if (head.startsWith('POST /reset')) count = 0;
    if (!head.startsWith('POST /inc')) return void socket.write(json('200 OK', JSON.stringify({ count })));
    const step = script[count % script.length];
    count++;
    const writes = step.writes(count);
    writes.forEach((bytes, i) =>
      setTimeout(() => {
        if (socket.destroyed) return;
        socket.write(bytes);
        if (i < writes.length - 1) return;
        if (step.then === 'close') socket.end();
        if (step.then === 'reset') socket.resetAndDestroy();
      }, (step.delayMs ?? 0) + 5 * i),
    );
    if (writes.length === 0 && step.then === 'reset') socket.resetAndDestroy();
  };
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let pending = '';
    socket.on('data', (chunk) => {
      pending += chunk.toString('latin1');
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        answer(socket, pending.slice(0, end));
        pending = pending.slice(end + 4);
      }
    });
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const stop = () => {
    // A socket whose client closed first is already shutting down, which a reset cannot interrupt:
    // resetting it left the shutdown pending, and the process spinning at exit.
    for (const socket of sockets) {
      if (socket.writableEnded) socket.destroy();
      else socket.resetAndDestroy();
    }
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  await listen(0);
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    get count() {
      return count;
    },
    async refuseFor(ms) {
      const closedMs = performance.now();
      await stop();
      await sleep(ms);
      await listen(port);
      return performance.now() - closedMs;
    },
    close: stop,
  };
}
