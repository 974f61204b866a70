/**
 * The native engine judges every answer as the JS client does: the same run against the same
 * scripted server, once per engine, ends with the same history (outcome and value of every
 * call, in order), the same error counts and the same first message per kind.
 */
import test from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadHttpLoader } from '../native/http-loader.js';
import { History, type HistoryData } from '../tester/check/history.js';
import { recordLoad } from '../tester/load/run-load.js';
import { lengthAnswer, type ScriptedAnswer, startScriptedServer } from './helpers/scripted-server.js';
import { describeRun, parseJsonOutput, runTester } from './helpers/run-tester.js';

const ENGINES = ['native', 'js'] as const;
const TIMEOUT_MS = 300;
const head = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n';
const keptAlive10 = 'HTTP/1.0 200 OK\r\nconnection: Keep-Alive\r\n';
const count = (n: number) => `{"count":${n}}`;

/** Every shape of answer a legal (or broken) server may send, one per increment. */
const SCRIPT: Array<{ name: string; answer: ScriptedAnswer }> = [
  { name: 'our own {"count":N}', answer: lengthAnswer('200 OK', count) },
  { name: '{"value":N}', answer: lengthAnswer('200 OK', (n) => `{"value":${n}}`) },
  { name: 'a bare N', answer: lengthAnswer('200 OK', String) },
  { name: 'spelled otherwise', answer: lengthAnswer('201 Created', (n) => `{ "count" : ${n}.0 }`) },
  {
    name: 'chunked, cut inside a chunk',
    answer: {
      writes: (n) => {
        const body = count(n);
        const rest = `${(body.length - 5).toString(16)}\r\n${body.slice(5)}\r\n0\r\n\r\n`;
        return [`${head}Transfer-Encoding: chunked\r\n\r\n5\r\n${body.slice(0, 3)}`, `${body.slice(3, 5)}\r\n${rest}`];
      },
    },
  },
  {
    name: 'head and body apart',
    answer: { writes: (n) => [`${head}Content-Length: ${count(n).length}\r\n\r\n`, count(n)] },
  },
  {
    name: 'Connection: close',
    answer: {
      writes: (n) => [`${head}Connection: close\r\nContent-Length: ${count(n).length}\r\n\r\n${count(n)}`],
      then: 'close',
    },
  },
  {
    name: 'HTTP/1.0, the close ends the body',
    answer: { writes: (n) => [`HTTP/1.0 200 OK\r\n\r\n${count(n)}`], then: 'close' },
  },
  {
    name: 'HTTP/1.0 kept alive, lower-case names',
    answer: {
      writes: (n) => [`${keptAlive10}content-length: ${count(n).length}\r\n\r\n${count(n)}`],
    },
  },
  {
    name: 'a Content-Length that is not a number, then one that is',
    answer: { writes: (n) => [`${head}Content-Length: 1x\r\nContent-Length:\t${count(n).length} \r\n\r\n${count(n)}`] },
  },
  { name: '204 without a length', answer: { writes: () => ['HTTP/1.1 204 No Content\r\n\r\n'] } },
  { name: '503', answer: lengthAnswer('503 Service Unavailable', () => '{"error":"busy"}') },
  { name: '500 with our own body', answer: lengthAnswer('500 Internal Server Error', count) },
  { name: '404', answer: lengthAnswer('404 Not Found', () => 'no') },
  { name: 'garbage body', answer: lengthAnswer('200 OK', (n) => `{"count":${n}`.padEnd(120, 'x')) },
  { name: 'a count that is no whole number', answer: lengthAnswer('200 OK', (n) => `{"count":${n}.5}`) },
  { name: 'unsupported Transfer-Encoding', answer: { writes: () => [`${head}Transfer-Encoding: gzip\r\n\r\n`] } },
  { name: 'not HTTP', answer: { writes: () => ['SSH-2.0-OpenSSH\r\n\r\n'] } },
  { name: 'a keep-alive answer without length', answer: { writes: (n) => [`${head}\r\n${count(n)}`] } },
  { name: 'closed mid-answer', answer: { writes: () => [`${head}Content-Len`], then: 'close' } },
  { name: 'reset mid-answer', answer: { writes: () => [`${head}Content-Len`], then: 'reset' } },
  { name: 'silent', answer: { writes: () => [], then: 'silent' } },
  {
    name: 'an unrequested answer after ours',
    answer: {
      writes: (n) => [`${head}Content-Length: ${count(n).length}\r\n\r\n${count(n)}${head}Content-Length: 2\r\n\r\n{}`],
    },
  },
];

/** One run of every answer shape, twice, with one client: the order of calls is the script's. */
async function scriptedRun(engine: (typeof ENGINES)[number]) {
  const server = await startScriptedServer(SCRIPT.map((step) => step.answer));
  try {
    const parts: HistoryData[] = [];
    const { result } = await recordLoad({
      spec: {
        backend: 'web',
        targets: [{ host: '127.0.0.1', port: server.port }], 
        timeoutMs: TIMEOUT_MS,
        engine,
      },
      clientCount: 1,
      callsPerClient: 2 * SCRIPT.length,
      onCalls: (calls) => parts.push(calls),
    });
    const ops = History.merge(parts).data();
    const port = new RegExp(String(server.port), 'g');
    return {
      outcomes: Array.from(ops.outcomes),
      values: Array.from(ops.values, (value) => (Number.isNaN(value) ? null : value)),
      errors: result.errors,
      examples: JSON.parse(JSON.stringify(result.errorExamples).replace(port, 'PORT')),
      verdict: result.verdict,
      passed: result.passed,
    };
  } finally {
    await server.close();
  }
}

test.serial('every answer shape ends each call as the JS client does: outcome, value, kind, message', async (t) => {
  const native = await scriptedRun('native');
  const js = await scriptedRun('js');
  t.is(native.outcomes.length, 2 * SCRIPT.length);
  for (let i = 0; i < native.outcomes.length; i++) {
    const name = SCRIPT[i % SCRIPT.length].name;
    t.deepEqual([native.outcomes[i], native.values[i]], [js.outcomes[i], js.values[i]], `call ${i}: ${name}`);
  }
  t.deepEqual(native.errors, js.errors);
  t.deepEqual(native.examples, js.examples);
  t.is(native.verdict, js.verdict);
  t.is(native.passed, js.passed);
  // The script reaches every kind the web client knows.
  t.deepEqual(Object.keys(native.errors).sort(), ['http_status', 'protocol', 'reset', 'timeout']);
  const notJson = /^127\.0\.0\.1:PORT POST \/inc: answer is not JSON: "\{\\"count\\":\d+x+" \(first 80 of 120 bytes\)$/;
  t.regex(native.examples.protocol, notJson);
  t.is(native.examples.timeout, `no answer within ${TIMEOUT_MS} ms`);
});

test.serial('a server that refuses for a while: each engine fails the calls (not applied), 20 ms apart', async (t) => {
  for (const engine of ENGINES) {
    const server = await startScriptedServer([lengthAnswer('200 OK', count)]);
    try {
      // Refused once the run is under way (its reset and first read are done), for 300 ms or what a busy host makes of it.
      let refusing: Promise<number> = Promise.resolve(0);
      const { result } = await recordLoad({
        spec: { backend: 'web', targets: [{ host: '127.0.0.1', port: server.port }], timeoutMs: 2_000, engine },
        clientCount: 2,
        callsPerClient: 0,
        durationMs: 1200,
        onStart: () => (refusing = sleep(200).then(() => server.refuseFor(300))),
      });
      const refusedMs = await refusing;
      const refused = result.errors.refused ?? 0;
      // Two clients, one try per 20 ms each while refused: about 30 in 300 ms; never thousands.
      const most = 2 * (Math.ceil(refusedMs / 20) + 1);
      t.true(refused >= 6 && refused <= most, `${engine}: ${refused} refused in ${refusedMs.toFixed(0)} ms`);
      const target = `127.0.0.1:${server.port}`;
      // A connect caught by the listener closing answers RST mid-handshake (ECONNRESET): refused all the same.
      t.regex(result.errorExamples.refused ?? '', new RegExp(`^cannot connect to ${target}: connect (ECONNREFUSED|ECONNRESET) ${target}$`));
      t.is(result.check.failedCount, refused, engine);
      t.true(result.passed, `${engine}: ${result.verdict}`);
    } finally {
      await server.close();
    }
  }
});

const shapeArgs = (port: number, ...rest: string[]) =>
  ['web', '--counter-host', '127.0.0.1', '--counter-port', String(port), '--json', ...rest];

test.serial('--rate reports uncorrected latency, pacer lag and rate sent; closed loop has none', async (t) => {
  const server = await startScriptedServer([lengthAnswer('200 OK', count)]);
  try {
    const open = await runTester(shapeArgs(server.port, '--n-clients', '10', '--duration', '1s', '--rate', '2000'));
    t.is(open.code, 0, describeRun(open));
    const result = parseJsonOutput(open);
    t.true(result.rateHeld, JSON.stringify(result));
    for (const key of ['latency', 'uncorrectedLatency', 'pacerLag'] as const) {
      t.deepEqual(Object.keys(result[key]!).sort(), ['maxUs', 'meanUs', 'p50Us', 'p90Us', 'p999Us', 'p99Us'], key);
    }
    // Corrected latency counts from the due time, so it is never below the latency from the send.
    t.true(result.latency.p99Us >= result.uncorrectedLatency!.p99Us);
    t.false(open.stderr.includes('warning'), open.stderr);
    const closedRun = await runTester(shapeArgs(server.port, '--n-clients', '2', '--n-calls-per-client', '50'));
    const closed = parseJsonOutput(closedRun);
    t.false('uncorrectedLatency' in closed || 'pacerLag' in closed || 'rateHeld' in closed, JSON.stringify(closed));
  } finally {
    await server.close();
  }
});

test.serial('a rate the tester cannot hold gets a one-line warning naming the rate sent, rateHeld false', async (t) => {
  const server = await startScriptedServer([lengthAnswer('200 OK', count)]);
  try {
    const run = await runTester(shapeArgs(server.port, '--n-clients', '2', '--duration', '1s', '--rate', '5000000'));
    t.is(run.code, 0, describeRun(run));
    const result = parseJsonOutput(run);
    t.false(result.rateHeld);
    t.true(result.sentRate! < 5_000_000 * 0.95);
    const warnings = run.stderr.split('\n').filter((line) => line.includes('warning'));
    t.is(warnings.length, 1, run.stderr);
    const warning = /^tester: warning: --rate 5000000 not held: the calls went out at \d+ req\/s \(pacer lag/;
    t.regex(warnings[0], warning);
  } finally {
    await server.close();
  }
});

test.serial('--client-threads 2 with --warmup: a native loop per thread, every call in the history', async (t) => {
  const server = await startScriptedServer([lengthAnswer('200 OK', count)]);
  try {
    const args = ['--n-clients', '4', '--client-threads', '2', '--warmup', '300ms', '--n-calls-per-client', '200'];
    const run = await runTester(shapeArgs(server.port, ...args));
    t.is(run.code, 0, describeRun(run));
    const result = parseJsonOutput(run);
    t.like(result, { passed: true, totalCalls: 800, attemptedCount: 800, errors: {} });
    t.true(result.initialCount > 0, 'the warmup made calls before the measured run');
    t.is(result.finalCount, result.initialCount + 800);
  } finally {
    await server.close();
  }
});

test('the loader has no limits of its own: it refuses a config without them, and names its codes', (t) => {
  const native = loadHttpLoader();
  if (typeof native === 'string') return t.fail(native);
  const target = { name: 'localhost:1', address: '127.0.0.1', port: 1, request: Buffer.from('POST /inc') };
  const rules = { timeoutMs: 100, refusedPauseMs: 20, maxHeadBytes: 16384, maxBodyBytes: 65536, ownAnswer: null };
  for (const missing of ['refusedPauseMs', 'maxHeadBytes', 'maxBodyBytes', 'ownAnswer'] as const) {
    const config = { targets: [target], clientCount: 1, ...rules, [missing]: undefined };
    t.throws(() => new native.HttpLoader(config as never), { instanceOf: TypeError }, missing);
  }
  new native.HttpLoader({ targets: [target], clientCount: 1, ...rules }).close();
  t.deepEqual([...native.sideTypes].sort(), ['answer', 'error', 'unframed']);
  t.deepEqual(native.errorKinds.filter(Boolean).sort(), ['protocol', 'refused', 'reset', 'timeout']);
});
