/**
 * Where `tester web` sends its calls and how it times them: several servers from comma-separated
 * --counter-host/--counter-port or COUNTER_HOST/COUNTER_PORT, and open-loop latencies measured
 * from when each call was due. This file's ports: 18740-18759.
 */
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeRun, parseJsonOutput, runTester, startFaultyServer } from './helpers/run-tester.js';
import { startServer } from './helpers/server-process.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'counters-targets-'));
test.after.always(() => fs.rmSync(tmp, { recursive: true, force: true }));

const LOAD = ['web', '--n-clients', '4', '--n-calls-per-client', '500', '--json'];
const DEAD_PORT = 18749;

test.serial(
  'two servers over one counter file, from COUNTER_HOST/COUNTER_PORT or the flags, comma-separated',
  async (t) => {
    const [first, second] = [18740, 18741];
    const env = { STORAGE_METHOD: 'disk', STORAGE_PATH: path.join(tmp, 'shared.txt') };
    const servers = await Promise.all([first, second].map((port) => startServer({ ...env, PORT: String(port) })));
    try {
      const fromEnv = await runTester(LOAD, { env: { COUNTER_HOST: '127.0.0.1', COUNTER_PORT: `${first},${second}` } });
      t.is(fromEnv.code, 0, describeRun(fromEnv));
      t.like(parseJsonOutput(fromEnv), { totalCalls: 2000, finalCount: 2000, passed: true, check: { valid: true } });

      const fromFlags = await runTester([
        ...LOAD,
        '--counter-host',
        '127.0.0.1',
        '--counter-port',
        `${first}, ${second}`,
      ]);
      t.is(fromFlags.code, 0, describeRun(fromFlags));
      t.like(parseJsonOutput(fromFlags), { totalCalls: 2000, finalCount: 2000, passed: true });

      // Every host with every port is a target, and clients are dealt round-robin: with one of two
      // targets down, exactly half the clients' calls are refused, naming the missing target.
      const few = ['web', '--n-clients', '4', '--n-calls-per-client', '50', '--json'];
      const deadPort = await runTester([
        ...few,
        '--counter-host',
        '127.0.0.1',
        '--counter-port',
        `${first},${DEAD_PORT}`,
      ]);
      const deadPortJson = parseJsonOutput(deadPort);
      t.like(deadPortJson, { totalCalls: 100, errors: { refused: 100 } }, describeRun(deadPort));
      t.regex(deadPortJson.errorExamples.refused, new RegExp(`127\\.0\\.0\\.1:${DEAD_PORT}`));
      const deadHost = await runTester(few, {
        env: { COUNTER_HOST: '127.0.0.1,127.0.0.2', COUNTER_PORT: String(first) },
      });
      const deadHostJson = parseJsonOutput(deadHost);
      t.like(deadHostJson, { totalCalls: 100, errors: { refused: 100 } }, describeRun(deadHost));
      t.regex(deadHostJson.errorExamples.refused, new RegExp(`127\\.0\\.0\\.2:${first}`));
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
    }
  },
);

test.serial(
  '--rate: a stalled answer delays the calls due behind it, and their latency counts from when they were due',
  async (t) => {
    const port = 18742;
    // Calls 100 and 200 stall 500 ms; at 100 calls/s, about 50 calls fall due during each stall.
    const server = await startFaultyServer('slow', port, 100);
    const target = ['--counter-host', '127.0.0.1', '--counter-port', String(port)];
    try {
      const open = await runTester([
        'web',
        '--n-clients',
        '1',
        '--n-calls-per-client',
        '250',
        '--rate',
        '100',
        '--json',
        ...target,
      ]);
      t.is(open.code, 0, describeRun(open));
      const { latency } = parseJsonOutput(open);
      t.true(latency.maxUs >= 500_000, `the stall itself: ${JSON.stringify(latency)}`);
      // Measured from send time, only the 2 stalled calls of 250 would be slow and p90 would be the
      // unloaded round trip; from due time, the ~100 calls queued behind the stalls are slow too.
      t.true(latency.p90Us >= 250_000, `p90 includes the calls the stalls delayed: ${JSON.stringify(latency)}`);
      t.true(latency.meanUs >= 60_000, `mean includes them too: ${JSON.stringify(latency)}`);

      const closed = await runTester(['web', '--n-clients', '1', '--n-calls-per-client', '250', '--json', ...target]);
      t.is(closed.code, 0, describeRun(closed));
      const closedLatency = parseJsonOutput(closed).latency;
      t.true(closedLatency.p90Us < latency.p90Us / 5, `closed loop, nothing is due: ${JSON.stringify(closedLatency)}`);
    } finally {
      await server.stop();
    }
  },
);
