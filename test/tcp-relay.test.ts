/**
 * The test relay (test/helpers/tcp-relay.ts) that the member-away and database-away tests cut:
 * holdAnswers() must resolve when the only thing still moving is an answer a client waits for,
 * and that answer must never reach the client.
 */
import test from 'ava';
import net from 'node:net';
import { once } from 'node:events';
import { freePort } from '../tester/harness/free-port.js';
import { TcpRelay } from './helpers/tcp-relay.js';
import { waitUntil } from '../tester/harness/wait-until.js';
import { setTimeout as sleep } from 'node:timers/promises';

/** An upstream that answers each request only when told to. */
async function heldUpstream() {
  const server = net.createServer();
  server.listen({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  const peers: net.Socket[] = [];
  let received = '';
  server.on('connection', (socket) => {
    peers.push(socket);
    socket.on('error', () => {}); // the relay's down() resets it
    socket.on('data', (data) => (received += data.toString()));
  });
  const { port } = server.address() as net.AddressInfo;
  return { port, peers, received: () => received, close: () => new Promise((resolve) => server.close(resolve)) };
}

test('holdAnswers resolves on an answer a waiting client would get, and drops it', async (t) => {
  const upstream = await heldUpstream();
  const relay = new TcpRelay(await freePort(), { host: '127.0.0.1', port: upstream.port });
  await relay.up();
  const client = net.connect({ host: '127.0.0.1', port: relay.port });
  let answered = '';
  client.on('data', (data) => (answered += data.toString()));
  client.on('error', () => {});
  try {
    await once(client, 'connect');
    client.write('request');
    t.true(await waitUntil(async () => upstream.received() === 'request', 10_000), 'the request went through');
    const held = relay.holdAnswers();
    // The client now waits and sends nothing more: only the answer can resolve the hold.
    upstream.peers[0].write('answer');
    // Bounded only so the old behaviour (held answers never seen) fails here rather than hanging.
    const bound = new AbortController();
    const stuck = sleep(10_000, 'stuck', { signal: bound.signal }).catch(() => 'cancelled');
    t.is(await Promise.race([held.then(() => 'held'), stuck]), 'held');
    bound.abort();
    t.is(answered, '', 'the held answer never reaches the client');
  } finally {
    client.destroy();
    await relay.down();
    await upstream.close();
  }
});

test('holdAnswers with nothing relayed fails at once instead of waiting for ever', async (t) => {
  const relay = new TcpRelay(await freePort(), { host: '127.0.0.1', port: 1 });
  await relay.up();
  try {
    await t.throwsAsync(relay.holdAnswers(), { message: /no connection is relayed/ });
  } finally {
    await relay.down();
  }
});

