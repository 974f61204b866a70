/**
 * A correct counter server in the test process that answers every POST /inc after a fixed delay:
 * two of them differ in speed by construction, far beyond any host's noise, which is what tests
 * of comparisons need (issue 27).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DelayServer {
  port: number;
  close(): Promise<void>;
}

export async function startDelayServer(delayMs: number): Promise<DelayServer> {
  let count = 0;
  const reply = (res: http.ServerResponse, value: number) => {
    const text = JSON.stringify({ count: value });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  };
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const route = `${req.method} ${req.url}`;
      if (route === 'POST /reset') reply(res, (count = 0));
      else if (route === 'GET /count') reply(res, count);
      else if (route === 'POST /inc') {
        // Counted at once, answered later: the values stay in real-time order, only slower.
        const value = ++count;
        if (delayMs > 0) setTimeout(() => reply(res, value), delayMs);
        else reply(res, value);
      } else {
        res.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
