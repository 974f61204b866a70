#!/usr/bin/env node
/**
 * The same counter as bare-uws-counter.ts on node:http: shows what uWebSockets.js buys
 * over Node's own HTTP stack on this machine, measured in the same run.
 * Env: HOST (default 127.0.0.1), PORT (default 8091). Prints "listening on" to stderr.
 */
import http from 'node:http';

const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 8091);
let count = 0;

function send(res: http.ServerResponse, status: number, body: string): void {
  // Explicit Content-Length: otherwise node:http answers chunked, more bytes than uWS sends.
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

const server = http.createServer((req, res) => {
  // The body (if any) must be consumed for the keep-alive connection to carry the next request.
  req.resume();
  if (req.method === 'POST' && req.url === '/inc') send(res, 200, '{"count":' + ++count + '}');
  else if (req.method === 'POST' && req.url === '/reset') send(res, 200, '{"count":' + (count = 0) + '}');
  else if (req.method === 'GET' && req.url === '/count') send(res, 200, '{"count":' + count + '}');
  else send(res, 404, '{"error":"no such endpoint"}');
});
// Node's 5 s default would close idle benchmark connections between measurements.
server.keepAliveTimeout = 60_000;

server.on('error', (err) => {
  console.error(`bare-node-http-counter: cannot listen on ${host}:${port}: ${err.message}`);
  process.exit(1);
});
server.listen(port, host, () =>
  console.error(`bare-node-http-counter: listening on http://${host}:${port} (pid ${process.pid})`),
);

process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
