/**
 * Bad input: hostile requests, idle and non-reading clients, fuzzed bytes, invalid settings
 * and broken storage. The server must answer or close cleanly, stay up, keep other clients
 * exact (a concurrent tester run checks it), and refuse bad settings and storage in one line,
 * never by silently resetting the count. Ports 19050-19119.
 */
import test, { type ExecutionContext } from 'ava';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SharedCounter } from '../native/addon.js';
import { runLoad } from '../tester/load/run-load.js';
import type { LoadResult } from '../tester/load/load-result.js';
import { mutate, seededRandom } from './helpers/fuzz.js';
import { countOf, statusOf } from './helpers/http-probes.js';
import { childPids, rssMb, run } from './helpers/processes.js';
import { type Exchange, exchange, openIdleSockets } from './helpers/raw-sockets.js';
import { describeRun, runTester, stderrLines } from './helpers/run-tester.js';
import {
  httpRequest,
  runServerInPrivateNetwork,
  runServerToExit,
  type ServerEnv,
  startServer,
} from './helpers/server-process.js';
import { requireServices, type Service } from './helpers/required-service.js';

// The tests needing a service: one that does not answer fails, COUNTERS_SKIP_*=1 skips (required-service.ts).
const services = await requireServices(['postgresql', 'hazelcast']);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'counters-bad-input-'));
test.after.always(() => fs.rmSync(tmp, { recursive: true, force: true }));

let nextPort = 19050;
const TOKEN = 'bad-input-reset-token';
/** Every server here has a reset token, so no hostile request can reset the good client's count. */
const SHM_ENV: ServerEnv = {
  STORAGE_METHOD: 'shared_memory',
  SHM_INCREMENT: 'flock',
  WORKERS: '2',
  RESET_TOKEN: TOKEN,
};
const MAX_WORKER_RSS_MB = 300;
/**
 * Largest growth of a worker's RSS that one abusive connection may cause. A server that bounds
 * what it buffers per connection grows a few MB (measured: 4 MB when it closes the connection on
 * backpressure); one that buffers every answer grows ~7x the bytes sent, so this is passed after
 * ~7 MB of requests, whatever the machine's speed.
 */
const MAX_GROWTH_MB = 50;

/** Bad inputs tried, per family, for the README's reliability table. */
const tried: Record<string, number> = {};
const countTried = (family: string, n = 1) => void (tried[family] = (tried[family] ?? 0) + n);
test.after.always('bad inputs tried', (t) => {
  const total = Object.values(tried).reduce((a, b) => a + b, 0);
  t.log(`bad inputs tried: ${total} ${JSON.stringify(tried)}`);
});

/**
 * The concurrent good client: 4 keep-alive users, `total` increments in all, paced at
 * `ratePerSecond` so the run spans the abuse it is meant to overlap.
 */
function goodClient(port: number, total: number, ratePerSecond = 2000): Promise<LoadResult> {
  return runLoad({
    spec: { backend: 'web', targets: [{ host: '127.0.0.1', port }], timeoutMs: 10_000, resetToken: TOKEN },
    clientCount: 4,
    callsPerClient: total / 4,
    ratePerSecond,
  });
}

function assertExact(t: ExecutionContext, result: LoadResult, total: number): void {
  t.deepEqual(result.errors, {}, `the good client saw no errors: ${JSON.stringify(result.errorExamples)}`);
  t.is(result.totalCalls, total);
  t.is(result.finalCount, total, result.verdict);
  t.is(result.check.valid, true, result.verdict);
}

async function workerRss(primary: number): Promise<number> {
  const sizes = (await childPids(primary)).map((pid) => rssMb(pid) ?? 0);
  return Math.max(0, ...sizes);
}

const CLOSED_CLEANLY = new Set(['answered-and-closed', 'closed', 'reset']);

/** At most 4 servers starting at once from the many small tests below: the host has 2 cores. */
let startingCount = 0;
const startQueue: Array<() => void> = [];
async function oneOfFew<T>(work: () => Promise<T>): Promise<T> {
  if (startingCount >= 4) await new Promise<void>((resolve) => startQueue.push(resolve));
  startingCount++;
  try {
    return await work();
  } finally {
    startingCount--;
    startQueue.shift()?.();
  }
}

// ------------------------------------------------------------------------------------------
// Hostile requests

const HOSTILE: Array<{ title: string; payload: () => Buffer | string; expect?: number[] }> = [
  { title: 'garbage request line', payload: () => 'GARBAGE\r\n\r\n' },
  { title: 'method only', payload: () => 'GET\r\n\r\n' },
  { title: 'no HTTP version', payload: () => 'GET /count\r\n\r\n' },
  { title: 'HTTP/9.9', payload: () => 'GET /count HTTP/9.9\r\nHost: x\r\n\r\n' },
  { title: 'NUL bytes', payload: () => Buffer.from([0, 0, 0, 0, 13, 10, 13, 10]) },
  { title: 'bare LF line ends', payload: () => 'GET /count HTTP/1.1\nHost: x\n\n' },
  { title: 'binary junk', payload: () => Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 131 + 7) % 256)) },
  { title: '64 KB URL', payload: () => `GET /${'a'.repeat(64 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n` },
  {
    title: '100 KB header',
    payload: () => `GET /count HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(100 * 1024)}\r\n\r\n`,
  },
  { title: '10 000 headers', payload: () => `GET /count HTTP/1.1\r\nHost: x\r\n${'X-A: 1\r\n'.repeat(10_000)}\r\n` },
  {
    title: '4 MB header without end',
    payload: () => `GET /count HTTP/1.1\r\nHost: x\r\nX-Big: ${'c'.repeat(4 * 1024 * 1024)}`,
  },
  {
    title: 'POST /inc with a 1 MB body',
    payload: () => `POST /inc HTTP/1.1\r\nHost: x\r\nContent-Length: ${1024 * 1024}\r\n\r\n${'d'.repeat(1024 * 1024)}`,
    expect: [413],
  },
  {
    title: 'POST /inc with a 1 MB chunked body',
    payload: () =>
      'POST /inc HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n' +
      `100000\r\n${'e'.repeat(0x100000)}\r\n0\r\n\r\n`,
    expect: [413],
  },
  {
    title: 'POST /inc declaring 2 MB, sending none',
    payload: () => 'POST /inc HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n',
    expect: [413],
  },
  {
    title: 'POST /inc declaring 10^11 bytes',
    payload: () => 'POST /inc HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n',
  },
  {
    title: 'POST /inc with Content-Length and chunked',
    payload: () =>
      'POST /inc HTTP/1.1\r\nHost: x\r\nContent-Length: 4000\r\nTransfer-Encoding: chunked\r\n\r\n' + 'f'.repeat(4000),
  },
  { title: 'BREW /inc', payload: () => 'BREW /inc HTTP/1.1\r\nHost: x\r\n\r\n' },
  { title: 'PURGE /count', payload: () => 'PURGE /count HTTP/1.1\r\nHost: x\r\n\r\n' },
  { title: 'GET /inc', payload: () => 'GET /inc HTTP/1.1\r\nHost: x\r\n\r\n', expect: [405] },
  {
    title: 'POST /reset without the token',
    payload: () => 'POST /reset HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n',
    expect: [401],
  },
  { title: 'path traversal', payload: () => 'GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n', expect: [404] },
];

test('hostile requests get an answer or a clean close, and a concurrent client stays exact', async (t) => {
  t.timeout(90_000);
  const port = nextPort++;
  const server = await startServer({ ...SHM_ENV, PORT: String(port) });
  try {
    let goodDone = false;
    const abuse = (async () => {
      const outcomes: Array<{ title: string; result: Exchange; expect?: number[] }> = [];
      // At least 3 rounds, and on until the good client is done (at most 30).
      for (let round = 0; round < 30 && (round < 3 || !goodDone); round++) {
        for (const { title, payload, expect } of HOSTILE) {
          outcomes.push({ title, expect, result: await exchange(port, payload(), { timeoutMs: 5000 }) });
          countTried('hostile requests');
        }
      }
      return outcomes;
    })();
    const good = await goodClient(port, 4000).finally(() => (goodDone = true));
    const outcomes = await abuse;
    for (const { title } of HOSTILE) {
      const results = outcomes
        .filter((o) => o.title === title)
        .map((o) => `${o.result.end}${o.result.statuses.length ? ` ${o.result.statuses.join(',')}` : ''}`);
      t.log(`${title}: ${[...new Set(results)].join(' | ')}`);
    }
    for (const { title, result, expect } of outcomes) {
      t.true(CLOSED_CLEANLY.has(result.end), `${title}: ${result.end} after ${result.ms} ms`);
      // A server that closes with our bytes unread makes the kernel send a reset, which can overtake its answer.
      if (expect && result.end !== 'reset') t.deepEqual(result.statuses, expect, title);
    }
    for (const { title, expect } of HOSTILE) {
      if (!expect) continue;
      const answered = outcomes.filter((o) => o.title === title && o.result.statuses.join() === expect.join());
      t.true(answered.length > 0, `${title}: answered ${expect.join()} at least once`);
    }
    assertExact(t, good, 4000);
    t.is(await statusOf(port, 'GET', '/health'), 200);
    t.is(await countOf(port), 4000, 'refused bodies and methods did not count');
    t.notRegex(server.output(), /died/);
  } finally {
    await server.stop();
  }
});

test('2000 idle connections do not starve other clients', async (t) => {
  t.timeout(90_000);
  const port = nextPort++;
  const server = await startServer({ ...SHM_ENV, PORT: String(port) });
  let sockets: net.Socket[] = [];
  try {
    sockets = await openIdleSockets(port, 2000);
    countTried('idle connections', sockets.length);
    t.is(sockets.length, 2000, 'all 2000 connections were accepted');
    const good = await goodClient(port, 4000);
    assertExact(t, good, 4000);
    t.is(await statusOf(port, 'GET', '/health'), 200);
    const rss = await workerRss(server.child.pid!);
    t.log(`largest worker RSS with 2000 idle connections: ${rss.toFixed(0)} MB`);
    t.true(rss < MAX_WORKER_RSS_MB, `${rss} MB`);
  } finally {
    for (const socket of sockets) socket.destroy();
    await server.stop();
  }
});

test('a client that pipelines requests and never reads the answers does not blow up the server', async (t) => {
  t.timeout(90_000);
  const port = nextPort++;
  const server = await startServer({ ...SHM_ENV, PORT: String(port) });
  const primary = server.child.pid!;
  const socket = net.connect({ port, host: '127.0.0.1' });
  socket.on('error', () => {});
  try {
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.pause(); // never read: answers pile up on the server's side
    const batch = Buffer.from('GET /health HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(2000));
    const baseline = await workerRss(primary);
    let sentBytes = 0;
    let maxRss = baseline;
    let closedByServer = false;
    socket.once('close', () => (closedByServer = true));
    const flood = (async () => {
      const started = Date.now();
      let lastSample = 0;
      // Bounded: 15 s, or until a worker has grown past the limit.
      while (
        !closedByServer &&
        Date.now() - started < 15_000 &&
        maxRss - baseline < MAX_GROWTH_MB &&
        maxRss < MAX_WORKER_RSS_MB
      ) {
        if (!socket.write(batch)) {
          await new Promise<void>((resolve) => {
            const done = () => {
              clearTimeout(timer);
              socket.off('drain', done);
              socket.off('close', done);
              resolve();
            };
            const timer = setTimeout(done, 250);
            socket.once('drain', done);
            socket.once('close', done);
          });
        }
        sentBytes += batch.length;
        if (Date.now() - lastSample > 250) {
          lastSample = Date.now();
          maxRss = Math.max(maxRss, await workerRss(primary));
        }
      }
    })();
    const good = await goodClient(port, 2000);
    await flood;
    maxRss = Math.max(maxRss, await workerRss(primary));
    countTried('pipelining clients that never read');
    t.log(
      `sent ${(sentBytes / 1e6).toFixed(1)} MB of pipelined requests ` +
        `(${Math.round(sentBytes / 33)} requests) without reading; ` +
        `worker RSS ${baseline.toFixed(0)} -> ${maxRss.toFixed(0)} MB; closed by server: ${closedByServer}`,
    );
    assertExact(t, good, 2000);
    t.is(await statusOf(port, 'GET', '/health'), 200, 'the server still serves others');
    t.true(
      maxRss - baseline < MAX_GROWTH_MB && maxRss < MAX_WORKER_RSS_MB,
      `worker RSS grew ${baseline.toFixed(0)} -> ${maxRss.toFixed(0)} MB after ${(sentBytes / 1e6).toFixed(1)} MB ` +
        'of requests: answers to a client that does not read are buffered without bound',
    );
  } finally {
    socket.destroy();
    await server.stop();
  }
});

// ------------------------------------------------------------------------------------------
// Fuzzing

/** Valid requests that never increment, mutated by the fuzzer. */
const FUZZ_SEEDS = [
  'GET /count HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
  'GET /health HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\nAccept: */*\r\n\r\n',
  'POST /reset HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong-token\r\nContent-Length: 0\r\n\r\n',
  'POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello',
  'GET /nope?x=1 HTTP/1.1\r\nHost: x\r\n\r\n',
  'POST /reset HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
  'GET /count HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n',
];

const INC_SEEDS = [
  'POST /inc HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n',
  'POST /inc HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\n{"a":1}',
  'POST /inc HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
  'POST /inc?x=1 HTTP/1.1\r\nHost: x\r\n\r\n',
];

/** Sends every input on a fresh connection, `parallel` at a time, half-closing after each. */
async function sendAll(port: number, inputs: Buffer[], parallel: number): Promise<Exchange[]> {
  const results: Exchange[] = new Array(inputs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < inputs.length) {
        const i = next++;
        results[i] = await exchange(port, inputs[i], { timeoutMs: 3000 });
      }
    }),
  );
  return results;
}

function tally(results: Exchange[]): Record<string, number> {
  const byEnd: Record<string, number> = {};
  for (const result of results) byEnd[result.end] = (byEnd[result.end] ?? 0) + 1;
  return byEnd;
}

const FUZZ_TITLE =
  'fuzz (seed 20240501): 2000 mutated requests each get an answer or a clean close; ' + 'the server stays up and exact';
test(FUZZ_TITLE, async (t) => {
  t.timeout(120_000);
  const port = nextPort++;
  const server = await startServer({ ...SHM_ENV, PORT: String(port) });
  try {
    const random = seededRandom(20240501);
    const inputs: Buffer[] = [];
    // Inputs that could increment are kept for the second half, so the concurrent client's count stays exact.
    while (inputs.length < 1500) {
      const input = mutate(random, FUZZ_SEEDS[Math.floor(random() * FUZZ_SEEDS.length)]);
      if (!input.toString('latin1').includes('inc')) inputs.push(input);
    }
    const [good, results] = await Promise.all([goodClient(port, 4000), sendAll(port, inputs, 16)]);
    countTried('fuzzed requests', inputs.length);
    t.log(
      `1500 mutated non-incrementing requests: ${JSON.stringify(tally(results))}; ` +
        `statuses ${JSON.stringify(statusTally(results))}`,
    );
    results.forEach((result, i) =>
      t.true(
        CLOSED_CLEANLY.has(result.end),
        `input ${i} ${JSON.stringify(inputs[i].toString('latin1').slice(0, 120))}: ${result.end}`,
      ),
    );
    assertExact(t, good, 4000);
    t.is(await statusOf(port, 'GET', '/health'), 200);

    // Then 500 mutations of POST /inc: the count moves only by increments the inputs could hold.
    const before = (await countOf(port))!;
    const incInputs = Array.from({ length: 500 }, () =>
      mutate(random, INC_SEEDS[Math.floor(random() * INC_SEEDS.length)]),
    );
    const incResults = await sendAll(port, incInputs, 16);
    countTried('fuzzed requests', incInputs.length);
    const after = (await countOf(port))!;
    const answered200 = incResults.reduce((sum, result) => sum + result.statuses.filter((s) => s === 200).length, 0);
    const possible = incInputs.reduce((sum, input) => sum + (input.toString('latin1').match(/\/inc/g)?.length ?? 0), 0);
    t.log(
      `500 mutated increments: ${JSON.stringify(tally(incResults))}; ${answered200} answered 200; ` +
        `count +${after - before} (at most ${possible} possible)`,
    );
    incResults.forEach((result, i) =>
      t.true(
        CLOSED_CLEANLY.has(result.end),
        `inc input ${i} ${JSON.stringify(incInputs[i].toString('latin1').slice(0, 120))}: ${result.end}`,
      ),
    );
    t.true(after - before >= answered200, 'every increment answered 200 was counted');
    t.true(after - before <= possible, 'nothing counted that no input asked for');
    t.is(await statusOf(port, 'GET', '/health'), 200);
    t.notRegex(server.output(), /died/);
  } finally {
    await server.stop();
  }
});

function statusTally(results: Exchange[]): Record<string, number> {
  const byStatus: Record<string, number> = {};
  for (const result of results) for (const status of result.statuses) byStatus[status] = (byStatus[status] ?? 0) + 1;
  return byStatus;
}

// ------------------------------------------------------------------------------------------
// Invalid settings

/** `needs`: the case reaches a running service (the others are refused before connecting, or by a closed port). */
const BAD_CONFIGS: Array<{ env: ServerEnv; message: RegExp; privateNetwork?: boolean; needs?: Service }> = [
  {
    env: { STORAGE_METHOD: 'postgresql', DB_PORT: 'abc' },
    message: /DB_PORT="abc" is invalid: set it to a whole number from 1 to 65535/,
  },
  { env: { STORAGE_METHOD: 'postgresql', PG_POOL_SIZE: '0' }, message: /PG_POOL_SIZE="0" is invalid/ },
  {
    env: { STORAGE_METHOD: 'postgresql', PG_STATEMENT_TIMEOUT_MS: '5' },
    message: /PG_STATEMENT_TIMEOUT_MS="5" is invalid/,
  },
  {
    env: { STORAGE_METHOD: 'postgresql', COALESCE: 'maybe' },
    message: /COALESCE="maybe" is invalid: use true or false/,
  },
  { env: { STORAGE_METHOD: 'postgresql', COALESCE_MAX_BATCH: '0' }, message: /COALESCE_MAX_BATCH="0" is invalid/ },
  { env: { PORT: '70000' }, message: /PORT="70000" is invalid: set it to a whole number from 1 to 65535/ },
  { env: { PORT: '0' }, message: /PORT="0" is invalid/ },
  { env: { PORT: '80.5' }, message: /PORT="80.5" is invalid/ },
  { env: { WORKERS: 'abc' }, message: /WORKERS="abc" is invalid/ },
  { env: { WORKERS: '257' }, message: /WORKERS="257" is invalid/ },
  { env: { STORAGE_METHOD: 'Disk', STORAGE_PATH: '/tmp/x' }, message: /STORAGE_METHOD="Disk" is invalid/ },
  // Run without a network (a namespace with loopback only): the name lookup fails without leaving the host.
  {
    env: { HOST: '256.1.1.1' },
    message: /cannot listen on 256\.1\.1\.1:\d+: getaddrinfo \S+ 256\.1\.1\.1; check HOST and PORT/,
    privateNetwork: true,
  },
  {
    env: { HOST: '192.0.2.1' },
    message: /cannot listen on 192\.0\.2\.1:\d+: listen EADDRNOTAVAIL.*; check HOST and PORT/,
    privateNetwork: true,
  },
  {
    env: { STORAGE_METHOD: 'hazelcast', HZ_CLUSTER_MEMBERS: 'bad value' },
    message: /HZ_CLUSTER_MEMBERS="bad value" is invalid: give host:port addresses/,
  },
  {
    env: { STORAGE_METHOD: 'hazelcast', HZ_CLUSTER_MEMBERS: '127.0.0.1:99999' },
    message: /HZ_CLUSTER_MEMBERS="127\.0\.0\.1:99999" is invalid/,
  },
  {
    env: { STORAGE_METHOD: 'hazelcast', HZ_CONNECT_TIMEOUT_MS: 'soon' },
    message: /HZ_CONNECT_TIMEOUT_MS="soon" is invalid/,
  },
  { env: { STORAGE_METHOD: 'hazelcast', HZ_MAX_RETRIES: '-1' }, message: /HZ_MAX_RETRIES="-1" is invalid/ },
  {
    env: { STORAGE_METHOD: 'hazelcast', HZ_RETRY_BASE_MS: '10', HZ_RETRY_CAP_MS: '5' },
    message: /HZ_RETRY_CAP_MS="5" is invalid: set it to a whole number from 10/,
  },
  { env: { STORAGE_METHOD: 'hazelcast', HZ_PN_SETTLE_MS: 'abc' }, message: /HZ_PN_SETTLE_MS="abc" is invalid/ },
  {
    // The running cluster is "dev": a member answers and names the mismatch (never "no member answered").
    env: { STORAGE_METHOD: 'hazelcast', HZ_CLUSTER_NAME: 'not-dev', HZ_CONNECT_TIMEOUT_MS: '1500' },
    message:
      /cannot connect to Hazelcast cluster "not-dev" at .* within 1\.5 s \(.*the member's cluster is not named "not-dev"\); set HZ_CLUSTER_NAME to the cluster's name/,
    needs: 'hazelcast',
  },
  {
    env: { STORAGE_METHOD: 'postgresql', DB_HOST: '256.1.1.1' },
    message:
      /cannot connect to PostgreSQL at 256\.1\.1\.1:\d+ .*could not translate host name.*; check DB_HOST and DB_PORT/,
    privateNetwork: true,
  },
  {
    env: {
      STORAGE_METHOD: 'postgresql',
      DB_HOST: '127.0.0.1',
      POSTGRES_DB: 'counters_test_bad_input',
      POSTGRES_USER: 'nobody_here',
    },
    message: /cannot connect to PostgreSQL at 127\.0\.0\.1:\d+ .*"nobody_here".*; check POSTGRES_(USER|PASSWORD)/,
    needs: 'postgresql',
  },
  {
    env: { STORAGE_METHOD: 'hazelcast', HZ_CLUSTER_MEMBERS: '127.0.0.1:5799', HZ_CONNECT_TIMEOUT_MS: '1000' },
    message: /cannot connect to Hazelcast cluster "dev" at 127\.0\.0\.1:5799 within 1 s.*ECONNREFUSED/,
  },
];

for (const { env, message, privateNetwork, needs } of BAD_CONFIGS) {
  services.need(...(needs ? [needs] : [])).test(`bad setting ${JSON.stringify(env)}: one line, non-zero exit, no stack`, async (t) => {
    const port = String(nextPort++);
    countTried('invalid settings');
    let started = 0;
    const { code, stderr } = await oneOfFew(() => {
      started = Date.now();
      return privateNetwork
        ? runServerInPrivateNetwork({ HOST: '127.0.0.1', PORT: port, ...env })
        : runServerToExit({ PORT: port, ...env });
    });
    t.log(`${stderr.trim()} (exit ${code}, ${Date.now() - started} ms)`);
    t.not(code, 0);
    t.regex(stderr, message);
    t.regex(stderr, /^web-counter: /);
    t.is(stderr.trim().split('\n').length, 1, stderr);
    t.notRegex(stderr, /\n\s+at /, 'no stack trace');
    t.true(Date.now() - started < 20_000, 'fails fast');
  });
}

test('tester --output to a path that cannot be written: refused before the run, exit 2, one line, nothing counted', async (t) => {
  const port = nextPort++;
  const server = await startServer({ PORT: String(port) });
  try {
    const file = path.join(tmp, 'no-such-dir', 'result.json');
    countTried('invalid settings');
    const run = await runTester([
      'web',
      '--n-clients',
      '2',
      '--n-calls-per-client',
      '100',
      '--json',
      '--output',
      file,
      '--counter-host',
      '127.0.0.1',
      '--counter-port',
      String(port),
    ]);
    t.log(`exit ${run.code}; stderr: ${run.stderr.trim()}`);
    // Checked before any call: a usage error (exit 2), so no run is made and then thrown away.
    t.is(run.code, 2, describeRun(run));
    t.is(stderrLines(run).length, 1, describeRun(run));
    t.regex(run.stderr, /^tester: --output \S+ cannot be written: ENOENT/);
    t.true(run.stderr.includes(file), 'names the file');
    t.notRegex(run.stderr, /\n\s+at /, 'no stack trace');
    t.is(run.stdout, '', 'no result printed: there was no run');
    t.is(await countOf(port), 0, 'nothing counted: the tester refused before its first call');
  } finally {
    await server.stop();
  }
});

// ------------------------------------------------------------------------------------------
// Broken storage

const CORRUPT_FILES: Array<{ title: string; content: Buffer }> = [
  { title: 'trailing junk', content: Buffer.from('12abc\n') },
  { title: 'negative', content: Buffer.from('-5\n') },
  { title: 'exponent', content: Buffer.from('1e3\n') },
  { title: 'leading space', content: Buffer.from(' 7\n') },
  { title: 'beyond 2^53', content: Buffer.from('99999999999999999\n') },
  { title: 'longer than a counter', content: Buffer.from('1'.repeat(100)) },
  { title: 'terminal escapes and NUL', content: Buffer.from('\x1b[2J\x1b]0;pwned\x07\x00\xff\n', 'latin1') },
  { title: 'empty: the server creates files holding 0', content: Buffer.alloc(0) },
  { title: 'torn: zeros where the value was', content: Buffer.alloc(3) },
];

for (const { title, content } of CORRUPT_FILES) {
  test(`a corrupt disk file (${title}) stops the server at startup in one line and is left as it was`, async (t) => {
    const file = path.join(tmp, `corrupt-${nextPort}.txt`);
    fs.writeFileSync(file, content, { mode: 0o600 });
    countTried('broken storage');
    const port = String(nextPort++);
    const { code, stderr } = await oneOfFew(() =>
      runServerToExit({ STORAGE_METHOD: 'disk', STORAGE_PATH: file, PORT: port }),
    );
    t.log(stderr.trim());
    t.not(code, 0);
    t.true(stderr.includes(file), 'names the file');
    t.is(stderr.trim().split('\n').length, 1);
    t.false(stderr.includes('\x1b'), 'control characters in the file are escaped, not printed');
    t.deepEqual(fs.readFileSync(file), content, 'the file is untouched');
  });
}

test('a disk file corrupted while the server runs: 503, never a silent reset; a repaired file counts on', async (t) => {
  const port = nextPort++;
  const file = path.join(tmp, 'corrupted-live.txt');
  const server = await startServer({ STORAGE_METHOD: 'disk', STORAGE_PATH: file, WORKERS: '2', PORT: String(port) });
  try {
    for (let i = 0; i < 5; i++) t.is(await statusOf(port, 'POST', '/inc'), 200);
    fs.writeFileSync(file, 'garbage\n');
    countTried('broken storage');
    t.is(await statusOf(port, 'POST', '/inc'), 503);
    t.is(await statusOf(port, 'GET', '/count'), 503);
    t.is(fs.readFileSync(file, 'utf8'), 'garbage\n', 'the server did not overwrite what it cannot read');
    fs.writeFileSync(file, '41\n');
    t.deepEqual((await httpRequest(port, 'POST', '/inc')).json, { count: 42 });
    t.regex(server.output(), /content is not a counter value/);
  } finally {
    await server.stop();
  }
});

// As root, chmod 000 does not stop us, so "unreadable" is a path that cannot be a counter file.
const UNUSABLE_PATHS: Array<{ title: string; make: () => string; message: RegExp }> = [
  { title: 'a directory', make: () => fs.mkdtempSync(path.join(tmp, 'dir-')), message: /Is a directory|EISDIR/ },
  {
    title: 'a path under a missing directory',
    make: () => path.join(tmp, 'missing-dir', 'counter.txt'),
    message: /ENOENT|no such file/i,
  },
  {
    title: 'a FIFO',
    make: () => {
      const fifo = path.join(tmp, `fifo-${nextPort}`);
      execFileSync('mkfifo', [fifo]);
      return fifo;
    },
    message: /not a regular file/,
  },
  { title: '/dev/null', make: () => '/dev/null', message: /not a regular file/ },
];

for (const { title, make, message } of UNUSABLE_PATHS) {
  test(`STORAGE_PATH naming ${title} is refused at startup in one line`, async (t) => {
    const file = make();
    countTried('broken storage');
    const port = String(nextPort++);
    let started = 0;
    const { code, stderr } = await oneOfFew(() => {
      started = Date.now();
      return runServerToExit({ STORAGE_METHOD: 'disk', STORAGE_PATH: file, PORT: port });
    });
    t.log(stderr.trim());
    t.not(code, 0);
    t.regex(stderr, message);
    t.true(stderr.includes(file), 'names the path');
    t.is(stderr.trim().split('\n').length, 1);
    t.true(Date.now() - started < 20_000, 'no hang (a FIFO must not block the open)');
  });
}

test.serial('a full disk: an existing counter counts on, a new one is refused at startup (never a 0)', async (t) => {
  const mountPoint = fs.mkdtempSync(path.join(tmp, 'tmpfs-'));
  const mounted = await run('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', mountPoint], 10_000);
  // A full disk is only made safely on a tiny tmpfs; without one the case cannot run, which fails it.
  t.is(mounted.code, 0, `cannot mount a 16 KB tmpfs (needs root or CAP_SYS_ADMIN): ${mounted.stderr.trim()}`);
  if (mounted.code !== 0) return;
  const servers: Array<{ stop(): Promise<number | null> }> = [];
  try {
    const existing = path.join(mountPoint, 'existing.txt');
    fs.writeFileSync(existing, '41\n', { mode: 0o600 });
    const filler = path.join(mountPoint, 'filler');
    const fd = fs.openSync(filler, 'w');
    try {
      for (let i = 0; i < 64; i++) fs.writeSync(fd, Buffer.alloc(1024, 1));
    } catch (err) {
      t.is((err as NodeJS.ErrnoException).code, 'ENOSPC');
    } finally {
      fs.closeSync(fd);
    }
    t.throws(() => fs.writeFileSync(path.join(mountPoint, 'probe'), 'x'), { code: 'ENOSPC' }, 'the disk is full');
    countTried('broken storage', 2);

    // The counter's page is already allocated: it keeps counting from where it was.
    const port1 = nextPort++;
    const first = await startServer({ STORAGE_METHOD: 'disk', STORAGE_PATH: existing, PORT: String(port1) });
    servers.push(first);
    t.deepEqual((await httpRequest(port1, 'POST', '/inc')).json, { count: 42 });
    t.deepEqual((await httpRequest(port1, 'GET', '/count')).json, { count: 42 });

    // A new counter file cannot get its first "0\n": the server refuses to start, and leaves no file.
    const fresh = path.join(mountPoint, 'fresh.txt');
    const port2 = nextPort++;
    const env = { STORAGE_METHOD: 'disk', STORAGE_PATH: fresh, PORT: String(port2), DISK_FSYNC: 'true' };
    const refused = await runServerToExit(env);
    t.not(refused.code, 0);
    t.regex(refused.stderr, /No space left on device/);
    t.is(refused.stderr.trim().split('\n').length, 1);
    const leftBehind = fs.readdirSync(mountPoint).filter((name) => name.startsWith('fresh'));
    t.deepEqual(leftBehind, [], 'no empty or temporary file left');
    fs.rmSync(filler);
    const second = await startServer(env);
    servers.push(second);
    t.deepEqual((await httpRequest(port2, 'POST', '/inc')).json, { count: 1 }, 'with space again it counts on');
    t.deepEqual((await httpRequest(port1, 'POST', '/inc')).json, { count: 43 });
  } finally {
    for (const server of servers) await server.stop();
    await run('umount', ['-l', mountPoint], 10_000);
  }
});

function shmFile(port: number): string {
  return `/dev/shm/counters-127.0.0.1-${port}`;
}

test('a shared memory segment that exists with mode 0644 is refused in one line and left alone', async (t) => {
  const port = nextPort++;
  const segment = shmFile(port);
  const content = Buffer.alloc(4096);
  content.writeBigUInt64LE(77n, 0);
  fs.writeFileSync(segment, content);
  fs.chmodSync(segment, 0o644);
  countTried('broken storage');
  try {
    const { code, stderr } = await runServerToExit({ PORT: String(port) });
    t.log(stderr.trim());
    t.not(code, 0);
    t.regex(stderr, /mode is 0644, expected 0600/);
    t.is(stderr.trim().split('\n').length, 1);
    t.is(fs.statSync(segment).mode & 0o777, 0o644, 'mode unchanged');
    t.deepEqual(fs.readFileSync(segment), content, 'content unchanged');
  } finally {
    fs.rmSync(segment, { force: true });
  }
});

test('a shared memory segment left by a killed server is reused with its count, not reset', async (t) => {
  const port = nextPort++;
  const name = `/counters-127.0.0.1-${port}`;
  const counter = new SharedCounter(name, true, 'flock');
  for (let i = 0; i < 1234; i++) counter.increment();
  counter.close();
  countTried('broken storage');
  try {
    const server = await startServer({ PORT: String(port), WORKERS: '2' });
    try {
      t.regex(server.output(), /reusing shared memory segment .* \(count 1234\)/);
      t.deepEqual((await httpRequest(port, 'POST', '/inc')).json, { count: 1235 });
    } finally {
      await server.stop();
    }
    t.false(fs.existsSync(shmFile(port)), 'a clean shutdown unlinks it');
  } finally {
    SharedCounter.unlink(name);
  }
});

const MAX = Number.MAX_SAFE_INTEGER;

for (const mode of ['flock', 'atomic'] as const) {
  test(`a shared memory segment at 2^53-2 (${mode}): one more increment, then 503 naming the limit`, async (t) => {
    const port = nextPort++;
    const name = `/counters-127.0.0.1-${port}`;
    const counter = new SharedCounter(name, true, mode);
    counter.close();
    const content = Buffer.alloc(8);
    content.writeBigUInt64LE(BigInt(MAX - 1));
    const fd = fs.openSync(shmFile(port), 'r+');
    fs.writeSync(fd, content, 0, 8, 0);
    fs.closeSync(fd);
    countTried('broken storage');
    try {
      const server = await startServer({ PORT: String(port), SHM_INCREMENT: mode, WORKERS: '2' });
      try {
        t.deepEqual((await httpRequest(port, 'POST', '/inc')).json, { count: MAX });
        for (let i = 0; i < 4; i++) {
          const { status, json } = await httpRequest(port, 'POST', '/inc');
          t.is(status, 503);
          t.regex((json as { error: string }).error, /counter reached 2\^53-1 \(Number.MAX_SAFE_INTEGER\)/);
        }
        t.deepEqual((await httpRequest(port, 'GET', '/count')).json, { count: MAX }, 'the value did not move');
        t.regex(server.output(), /store error: SharedCounter \/counters-\S+: counter would exceed 2\^53-1/);
        t.deepEqual((await httpRequest(port, 'POST', '/reset')).json, { count: 0 });
        t.deepEqual((await httpRequest(port, 'POST', '/inc')).json, { count: 1 }, 'a reset counts again');
      } finally {
        await server.stop();
      }
    } finally {
      SharedCounter.unlink(name);
    }
  });
}

test('a shared memory segment holding 2^64-2 is refused at startup in one line and left alone', async (t) => {
  const port = nextPort++;
  const name = `/counters-127.0.0.1-${port}`;
  new SharedCounter(name, true, 'atomic').close();
  const content = Buffer.alloc(4096);
  content.writeBigUInt64LE(2n ** 64n - 2n);
  fs.writeFileSync(shmFile(port), content);
  countTried('broken storage');
  try {
    for (const mode of ['flock', 'atomic']) {
      const { code, stderr } = await runServerToExit({ PORT: String(port), SHM_INCREMENT: mode }, 15_000);
      t.log(stderr.trim());
      t.is(code, 1);
      t.regex(stderr, /holds 18446744073709551614, beyond 2\^53-1 .*: not reusing it; remove \/dev\/shm\/counters-\S+/);
      t.is(stderr.trim().split('\n').length, 1);
      t.deepEqual(fs.readFileSync(shmFile(port)), content, 'content unchanged');
    }
  } finally {
    SharedCounter.unlink(name);
  }
});
