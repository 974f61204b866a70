/** Many requests at once to a server under test, and when the server has read them all. */
import http from 'node:http';
import { run } from './processes.js';

export interface Answer {
  status: number;
  body: string;
}

/** POST /inc on a connection of its own (no pool: each request is its own client); status 0 on failure. */
export function postInc(port: number, timeoutMs = 60_000): Promise<Answer> {
  return new Promise((resolve) => {
    const request = http.request(
      { host: '127.0.0.1', port, method: 'POST', path: '/inc', agent: false, timeout: timeoutMs },
      (response) => {
        let body = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', (err) => resolve({ status: 0, body: err.message }));
    request.end();
  });
}

/**
 * Whether the server listening on `port` has `count` connections open and has read every byte
 * sent on them (each socket's receive queue is empty): every request sent so far reached it.
 */
export async function serverReadAll(port: number, count: number): Promise<boolean> {
  const { stdout } = await run('ss', ['-Htn', 'state', 'established', `( sport = :${port} )`], 5000);
  const receiveQueues = stdout
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => Number(line.trim().split(/\s+/)[0]));
  return receiveQueues.length === count && receiveQueues.every((bytes) => bytes === 0);
}
