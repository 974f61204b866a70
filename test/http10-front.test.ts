/**
 * The HTTP/1.0 front (HTTP10_PORT): why it exists (what uWebSockets.js 20.30 does with requests
 * it cannot parse), what it answers at once, and what it relays to the routes unchanged.
 * Ports 19500-19519, fronts 19520-19539.
 */
import test from 'ava';
import net from 'node:net';
import { mutate, seededRandom } from './helpers/fuzz.js';
import { countOf, statusOf } from './helpers/http-probes.js';
import { exchange, type Exchange } from './helpers/raw-sockets.js';
import { runServerToExit, startServer } from './helpers/server-process.js';

const TOKEN = 'front-reset-token';
let nextPort = 19500;

type Work = (port: number, frontPort: number, output: () => string) => Promise<void>;

async function withServer(work: Work): Promise<void> {
  const port = nextPort++;
  const frontPort = port + 20;
  const server = await startServer({ PORT: String(port), HTTP10_PORT: String(frontPort), RESET_TOKEN: TOKEN });
  try {
    await work(port, frontPort, server.output);
  } finally {
    await server.stop();
  }
}

interface RawAnswer {
  text: string;
  closed: boolean;
  ms: number;
}

/** Sends `payload` on a fresh connection, not half-closed, and collects the answer until close or `timeoutMs`. */
function rawExchange(port: number, payload: string, timeoutMs = 3000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = net.connect({ port, host: '127.0.0.1' }, () => socket.write(payload));
    let text = '';
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closed, ms: Date.now() - started });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('close', () => finish(true));
    socket.on('error', () => {});
  });
}

const headerLines = (n: number) => Array.from({ length: n }, (_, i) => `X-Filler-${i}: ${i}\r\n`).join('');

/** What README says the uWS port does; if this fails, the library changed: update README and the front's comment. */
test('the uWS port answers no HTTP/1.0, garbage, CONNECT or 49 headers; closes at once past 4 KB', async (t) => {
  await withServer(async (port) => {
    const unanswered = {
      'HTTP/1.0': 'GET /count HTTP/1.0\r\nHost: x\r\n\r\n',
      garbage: 'GARBAGE\r\n\r\n',
      CONNECT: 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n',
      '49 header lines': `GET /count HTTP/1.1\r\nHost: x\r\n${headerLines(48)}\r\n`,
    };
    const results = await Promise.all(Object.values(unanswered).map((payload) => rawExchange(port, payload, 1500)));
    Object.keys(unanswered).forEach((title, i) => {
      t.deepEqual({ text: results[i].text, closed: results[i].closed }, { text: '', closed: false }, title);
    });
    const big = await rawExchange(port, `GET /count HTTP/1.0\r\nHost: x\r\nX-Pad: ${'p'.repeat(5000)}\r\n\r\n`);
    t.deepEqual({ text: big.text, closed: big.closed }, { text: '', closed: true }, 'over 4 KB: closed, no word');
    t.true(big.ms < 1000, `closed after ${big.ms} ms`);
    const last = 'Connection: close\r\n\r\n';
    const limit = await rawExchange(port, `GET /count HTTP/1.1\r\nHost: x\r\n${headerLines(46)}${last}`);
    t.regex(limit.text, /^HTTP\/1\.1 200 OK/, '48 header lines are served');
  });
});

test('the front answers at once: HTTP/1.0 routed, garbage 400, CONNECT 405, HTTP/2 505, big headers 431', async (t) => {
  await withServer(async (_port, frontPort) => {
    const connect = 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n';
    const bigHeader = `GET /count HTTP/1.0\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`;
    const cases: Array<[string, string, RegExp, RegExp]> = [
      ['HTTP/1.0 POST /inc', 'POST /inc HTTP/1.0\r\n\r\n', /^HTTP\/1\.1 200 OK/, /^\{"count":1\}$/],
      ['absolute form', 'POST http://counter.test/inc HTTP/1.0\r\n\r\n', /^HTTP\/1\.1 200 OK/, /^\{"count":2\}$/],
      ['OPTIONS *', 'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n', /^HTTP\/1\.1 400 /, /cannot serve target/],
      ['a URL without a path', 'GET foo://counter.test HTTP/1.0\r\n\r\n', /^HTTP\/1\.1 400 /, /cannot serve target/],
      ['GET /inc', 'GET /inc HTTP/1.0\r\n\r\n', /^HTTP\/1\.1 405 [^]*\r\nallow: POST\r\n/i, /"use POST \/inc"/],
      ['garbage', 'GARBAGE\r\n\r\n', /^HTTP\/1\.1 400 Bad Request/, /^\{"error":"malformed request/],
      ['CONNECT', connect, /^HTTP\/1\.1 405 /, /CONNECT is not served/],
      ['HTTP/2.0', 'GET /count HTTP/2.0\r\nHost: x\r\n\r\n', /^HTTP\/1\.1 505 HTTP Version Not/, /^\{"error":/],
      ['20 KB of headers', bigHeader, /^HTTP\/1\.1 431 /, /^\{"error":/],
    ];
    for (const [title, payload, head, body] of cases) {
      const { text, closed, ms } = await rawExchange(frontPort, payload);
      const [answerHead = '', answerBody = ''] = text.split('\r\n\r\n');
      t.regex(answerHead, head, `${title}: ${answerHead}`);
      t.regex(answerBody, body, `${title}: ${answerBody}`);
      t.true(closed && ms < 1000, `${title}: closed ${closed} after ${ms} ms`);
    }
  });
});

test('the front relays what the routes read: 60 headers pass, the reset token counts, big bodies 413', async (t) => {
  await withServer(async (port, frontPort) => {
    const many = await exchange(frontPort, `POST /inc HTTP/1.0\r\n${headerLines(60)}\r\n`);
    t.deepEqual(many.statuses, [200], 'only the headers the routes read reach uWS');
    const noToken = await rawExchange(frontPort, 'POST /reset HTTP/1.0\r\n\r\n');
    t.regex(noToken.text, /^HTTP\/1\.1 401 [^]*\r\nwww-authenticate: Bearer\r\n/i);
    const withToken = await rawExchange(frontPort, `POST /reset HTTP/1.0\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`);
    t.regex(withToken.text, /^HTTP\/1\.1 200 OK[^]*\r\n\r\n\{"count":0\}$/);
    const body = 'x'.repeat(2000);
    const big = await rawExchange(frontPort, `POST /inc HTTP/1.0\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    t.regex(big.text, /^HTTP\/1\.1 413 /);
    const kept = await rawExchange(port, 'GET /count HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    t.regex(kept.text, /\{"count":0\}$/, 'the reset went through; the refused body did not count');
  });
});

test('HTTP10_PORT that is PORT, in use, or not a port stops the server in one line', async (t) => {
  const busy = net.createServer();
  await new Promise<void>((resolve) => busy.listen(19539, '127.0.0.1', resolve));
  try {
    const cases: Array<[string, RegExp]> = [
      ['19518', /^web-counter: HTTP10_PORT=19518 is PORT too: give the HTTP\/1\.0 front its own port$/],
      ['19539', /^web-counter: HTTP10_PORT 19539 is already in use on 127\.0\.0\.1: choose another HTTP10_PORT$/],
      ['eighty', /^web-counter: HTTP10_PORT="eighty" is invalid: set it to a whole number from 1 to 65535$/],
    ];
    for (const [http10Port, message] of cases) {
      const { code, stderr } = await runServerToExit({ PORT: '19518', HTTP10_PORT: http10Port });
      t.is(code, 1, stderr);
      t.regex(stderr.trim(), message);
    }
  } finally {
    busy.close();
  }
});

/** HTTP/1.0 and 1.1 requests to the front, mutated by the fuzzer; none can reset (wrong token). */
const FUZZ_SEEDS = [
  'POST /inc HTTP/1.0\r\n\r\n',
  'GET /count HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /health HTTP/1.0\r\n\r\n',
  'POST /reset HTTP/1.0\r\nAuthorization: Bearer wrong\r\nContent-Length: 5\r\n\r\nhello',
  'POST /inc HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
  'GET /nope?x=1 HTTP/1.0\r\nX-A: 1\r\n\r\n',
];

test('fuzz (seed 20261129): 1500 mutated requests to the front end cleanly; the server stays up', async (t) => {
  t.timeout(120_000);
  await withServer(async (port, frontPort, output) => {
    const random = seededRandom(20261129);
    const seed = () => FUZZ_SEEDS[Math.floor(random() * FUZZ_SEEDS.length)];
    const inputs = Array.from({ length: 1500 }, () => mutate(random, seed()));
    const results: Exchange[] = [];
    for (let i = 0; i < inputs.length; i += 16) {
      const batch = inputs.slice(i, i + 16).map((input) => exchange(frontPort, input, { timeoutMs: 3000 }));
      results.push(...(await Promise.all(batch)));
    }
    const ends: Record<string, number> = {};
    for (const result of results) ends[result.end] = (ends[result.end] ?? 0) + 1;
    t.log(`front, 1500 mutated requests: ${JSON.stringify(ends)}`);
    results.forEach((result, i) => {
      const input = JSON.stringify(inputs[i].toString('latin1').slice(0, 100));
      t.true(['answered-and-closed', 'closed', 'reset'].includes(result.end), `input ${i} ${input}: ${result.end}`);
    });
    const before = await countOf(port);
    const after = await rawExchange(frontPort, 'POST /inc HTTP/1.0\r\n\r\n');
    t.true(after.text.endsWith(`{"count":${before! + 1}}`), `the front (in the primary) still relays: ${after.text}`);
    t.is(await statusOf(port, 'GET', '/health'), 200);
    t.notRegex(output(), /died|Error/);
  });
});
