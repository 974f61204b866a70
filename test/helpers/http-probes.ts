/** Single requests to a server under test, each on a fresh connection, that never throw. */
import http from 'node:http';

/** GET /health over a fresh connection: the answering worker's pid. */
export async function healthPid(port: number): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(5000) });
  const body = (await response.json()) as { pid: number };
  return body.pid;
}

/** One request over a fresh connection, with a timeout; the status, or 0 when it failed. */
export async function statusOf(port: number, method: string, urlPath: string, headers: Record<string, string> = {}): Promise<number> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}${urlPath}`, { method, headers, signal: AbortSignal.timeout(5000) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
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
export async function sendSequentially(port: number, method: string, urlPath: string, count: number): Promise<SequentialRun> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const statuses: Record<number, number> = {};
  let slowestMs = 0;
  const began = performance.now();
  try {
    for (let i = 0; i < count; i++) {
      const sent = performance.now();
      const status = await new Promise<number>((resolve) => {
        const request = http.request({ host: '127.0.0.1', port, method, path: urlPath, agent, timeout: 5000 }, (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
        });
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
