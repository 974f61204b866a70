#!/usr/bin/env node
/**
 * The ceiling our server is compared against: one process, uWebSockets.js, the count in a
 * JS number. Same routes and the same response bytes as server/routes.ts for POST /inc, so
 * the difference to our server is what cluster and the store cost, not the response shape.
 * POST /reset and GET /count exist only because the tester resets and reads the counter.
 * Env: HOST (default 127.0.0.1), PORT (default 8090). Prints "listening on" to stderr.
 */
import { loadUws } from '../server/uws.js';

const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 8090);
const JSON_TYPE = 'application/json';

// The loader that refuses the pure-JS fallback: a baseline on the fallback would be meaningless.
const uws = loadUws();
let count = 0;

uws
  .App()
  .post('/inc', (res) => {
    count++;
    res.writeStatus('200 OK').writeHeader('Content-Type', JSON_TYPE).end('{"count":' + count + '}');
  })
  .post('/reset', (res) => {
    count = 0;
    res.writeStatus('200 OK').writeHeader('Content-Type', JSON_TYPE).end('{"count":0}');
  })
  .get('/count', (res) => {
    res.writeStatus('200 OK').writeHeader('Content-Type', JSON_TYPE).end('{"count":' + count + '}');
  })
  .any('/*', (res) => {
    res.writeStatus('404 Not Found').writeHeader('Content-Type', JSON_TYPE).end('{"error":"no such endpoint"}');
  })
  .listen(host, port, (socket) => {
    if (!socket) {
      console.error(`bare-uws-counter: cannot listen on ${host}:${port}`);
      process.exit(1);
    }
    console.error(`bare-uws-counter: listening on http://${host}:${port} (pid ${process.pid})`);
  });

// uWS keeps the process alive; a plain exit on SIGTERM is all the cleanup there is.
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
