/** Single requests to a server under test, each on a fresh connection, that never throw. */
import http from 'node:http';
import net from 'node:net';

/**
 * GET /health over a fresh connection (not fetch, whose pool keeps reaching one worker): the
 * answering worker's pid. SO_REUSEPORT spreads fresh connections over every live worker.
 */
export function healthPid(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/health', agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve((JSON.parse(body) as { pid: number }).pid));
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 5 s')));
    req.on('error', reject);
  });
}

/** One request over a fresh connection, with a timeout; the status, or 0 when it failed. */
export async function statusOf(
  port: number,
  method: string,
  urlPath: string,
  headers: Record<string, string> = {},
): Promise<number> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}${urlPath}`, {
      method,
      headers,
      signal: AbortSignal.timeout(5000),
    });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}

/** Whether nothing listens on the port any more: a stopping server's workers closed their listen sockets. */
export function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

export async function countOf(port: number): Promise<number | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/count`, { signal: AbortSignal.timeout(5000) });
    if (response.status !== 200) return undefined;
    return ((await response.json()) as { count: number }).count;
  } catch {
    return undefined;
  }
}

export interface SequentialRun {
  /** How many answers had each status (0: no answer within 5 s). */
  statuses: Record<number, number>;
  slowestMs: number;
  elapsedMs: number;
}

/** `count` requests one after another on a single keep-alive connection, as one busy client sends them. */
export async function sendSequentially(
  port: number,
  method: string,
  urlPath: string,
  count: number,
): Promise<SequentialRun> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const statuses: Record<number, number> = {};
  let slowestMs = 0;
  const began = performance.now();
  try {
    for (let i = 0; i < count; i++) {
      const sent = performance.now();
      const status = await new Promise<number>((resolve) => {
        const request = http.request(
          { host: '127.0.0.1', port, method, path: urlPath, agent, timeout: 5000 },
          (response) => {
            response.resume();
            response.on('end', () => resolve(response.statusCode ?? 0));
          },
        );
        request.on('timeout', () => request.destroy());
        request.on('error', () => resolve(0));
        request.end();
      });
      statuses[status] = (statuses[status] ?? 0) + 1;
      slowestMs = Math.max(slowestMs, performance.now() - sent);
    }
  } finally {
    agent.destroy();
  }
  return { statuses, slowestMs, elapsedMs: performance.now() - began };
}
