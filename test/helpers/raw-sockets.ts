/** Raw sockets that report how the server ended an exchange: an answer, a close, a reset, or nothing. */
import net from 'node:net';

export type ExchangeEnd = 'answered-and-closed' | 'answered' | 'closed' | 'reset' | 'hung' | 'refused';

export interface Exchange {
  /** How the server ended it: an answer, a close (FIN), a reset, or nothing before the timeout. */
  end: ExchangeEnd;
  /** Status codes of the HTTP responses received, in order. */
  statuses: number[];
  bytes: number;
  ms: number;
}

/** Status codes of the `HTTP/1.x NNN` status lines in `text`. */
export function statusCodes(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((match) => Number(match[1]));
}

/**
 * Opens a fresh connection, writes `payload` (half-closing after it when `halfClose`), and
 * waits until the server closes or `timeoutMs` passes. With `halfClose` false, the first
 * complete answer ends the exchange ('answered').
 */
export function exchange(port: number, payload: Buffer | string, options: { halfClose?: boolean; timeoutMs?: number } = {}): Promise<Exchange> {
  const { halfClose = true, timeoutMs = 5000 } = options;
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = net.connect({ port, host: '127.0.0.1' });
    let received = '';
    let bytes = 0;
    let settled = false;
    const finish = (end: ExchangeEnd) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.destroy();
      const statuses = statusCodes(received);
      const answered = statuses.length > 0;
      const final: ExchangeEnd = end === 'closed' && answered ? 'answered-and-closed' : end === 'hung' && answered ? 'answered' : end;
      resolve({ end: final, statuses, bytes, ms: Date.now() - started });
    };
    const timer = setTimeout(() => finish('hung'), timeoutMs);
    let connected = false;
    socket.once('connect', () => {
      connected = true;
      socket.write(payload);
      if (halfClose) socket.end();
    });
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      // Only the head of each response matters; bodies are short JSON.
      if (received.length < 1_000_000) received += chunk.toString('latin1');
      if (!halfClose && /\r\n\r\n/.test(received) && completeResponse(received)) finish('answered');
    });
    socket.on('end', () => finish('closed'));
    socket.on('close', () => finish('closed'));
    socket.on('error', (err: NodeJS.ErrnoException) => finish(!connected && err.code === 'ECONNREFUSED' ? 'refused' : 'reset'));
  });
}

function completeResponse(text: string): boolean {
  const head = text.indexOf('\r\n\r\n');
  if (head < 0) return false;
  const length = /content-length:\s*(\d+)/i.exec(text.slice(0, head));
  return length ? text.length - head - 4 >= Number(length[1]) : true;
}

/** Opens `count` connections (in batches) and leaves them idle; returns them for closing. */
export async function openIdleSockets(port: number, count: number, timeoutMs = 20_000): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  const deadline = Date.now() + timeoutMs;
  while (sockets.length < count && Date.now() < deadline) {
    const batch = Math.min(100, count - sockets.length);
    const opened = await Promise.all(
      Array.from(
        { length: batch },
        () =>
          new Promise<net.Socket | undefined>((resolve) => {
            const socket = net.connect({ port, host: '127.0.0.1' });
            socket.on('error', () => resolve(undefined));
            socket.once('connect', () => resolve(socket));
          }),
      ),
    );
    for (const socket of opened) if (socket) sockets.push(socket);
  }
  return sockets;
}
