/**
 * A run's segments on separate hosts: each segment's tester in a network namespace of its own,
 * with its own address, and the server in another, on one Ethernet segment, as n loader machines
 * and a server on one switch. The segments merged count as one process with every client does,
 * catch a lossy server between them, and a segment killed mid-run is named in the merged verdict.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTesterProcess, type TesterRun } from '../tester/harness/tester-process.js';
import { waitUntil } from '../tester/harness/wait-until.js';
import {
  describeRun,
  type FaultyMode,
  type FaultyServer,
  parseJsonOutput,
  runTester,
  startFaultyServer,
  TESTER_MAIN,
} from './helpers/run-tester.js';
import { type Host, SegmentHosts } from './helpers/segment-hosts.js';
import { ROOT } from './helpers/server-process.js';

/** The server's host, then one host per segment. */
const SEGMENTS = 3;
const CLIENTS = 9;
const CALLS = 300;
/** Far enough ahead for every segment's tester to start on a busy host (the runs go one at a time). */
const START_AHEAD_MS = 15_000;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'segment-hosts-'));
let network: SegmentHosts;
let port = 8080;

test.before(() => {
  network = SegmentHosts.create(1 + SEGMENTS);
});
test.after.always(() => {
  network?.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

const serverHost = (): Host => network.hosts[0];
const segmentHost = (index: number): Host => network.hosts[index];

async function onServer<T>(mode: FaultyMode, work: (target: string[]) => Promise<T>): Promise<T> {
  const host = serverHost();
  const server: FaultyServer = await startFaultyServer(mode, ++port, 50, { host: host.address, prefix: host.prefix });
  try {
    return await work(['--counter-host', host.address, '--counter-port', String(server.port)]);
  } finally {
    await server.stop();
  }
}

/** Segment i's command line (web, its share of CLIENTS), with its --output and --history named. */
function segmentArgs(target: string[], index: number, startAtMs: number, name: string, extra: string[] = []): string[] {
  return [
    ...['web', ...target, '--n-clients', String(CLIENTS), '--segment', `${index}/${SEGMENTS}`],
    ...['--start-at', String(startAtMs), '--output', path.join(dir, `${name}-${index}.json`)],
    ...['--history', path.join(dir, `${name}-${index}.jsonl`), ...extra],
  ];
}

const outputs = (name: string, indexes: number[]) => indexes.map((index) => path.join(dir, `${name}-${index}.json`));

/** Every segment on its host at once; resolves with their runs. */
function runSegments(target: string[], name: string): Promise<TesterRun[]> {
  const startAtMs = Date.now() + START_AHEAD_MS;
  const indexes = Array.from({ length: SEGMENTS }, (_, i) => i + 1);
  return Promise.all(
    indexes.map((index) =>
      runTesterProcess(segmentArgs(target, index, startAtMs, name, ['--n-calls-per-client', String(CALLS)]), {
        cwd: ROOT,
        prefix: segmentHost(index).prefix,
        timeoutMs: 120_000,
      }),
    ),
  );
}

test.serial('3 segments on 3 hosts count as one process with every client does, on one server', async (t) => {
  const { runs, single } = await onServer('ok', async (target) => ({
    runs: await runSegments(target, 'ok'),
    single: await runTesterProcess(
      ['web', ...target, '--n-clients', String(CLIENTS), '--n-calls-per-client', String(CALLS), '--json'],
      { cwd: ROOT, prefix: segmentHost(1).prefix },
    ),
  }));
  for (const run of runs) t.is(run.code, 0, describeRun(run));
  const merge = await runTester(['merge', ...outputs('ok', [1, 2, 3]), '--json']);
  t.is(merge.code, 0, describeRun(merge));
  const merged = parseJsonOutput(merge);
  const one = parseJsonOutput(single);
  t.like(merged, { passed: true, clientCount: CLIENTS, totalCalls: CLIENTS * CALLS, finalCount: CLIENTS * CALLS });
  t.is(merged.finalCount, one.finalCount);
  t.is(merged.passed, one.passed);
  t.true(one.verdict.startsWith(merged.verdict), `${one.verdict} / ${merged.verdict}`);
});

test.serial('a lossy server is caught across the hosts', async (t) => {
  const runs = await onServer('lose', (target) => runSegments(target, 'lose'));
  for (const run of runs) t.is(run.code, 0, describeRun(run));
  const merge = await runTester(['merge', ...outputs('lose', [1, 2, 3])]);
  t.is(merge.code, 1, describeRun(merge));
  const lost = (CLIENTS * CALLS) / 50;
  t.regex(merge.stdout, new RegExp(`^Verdict: +FAIL: LOST ${lost} of ${CLIENTS * CALLS} acknowledged increments$`, 'm'));
});

test.serial('a segment killed mid-run on its host: the merged verdict says it is missing', async (t) => {
  const startAtMs = Date.now() + START_AHEAD_MS;
  const history = path.join(dir, 'killed-2.jsonl');
  const merge = await onServer('ok', async (target) => {
    const args = (index: number) => segmentArgs(target, index, startAtMs, 'killed', ['--duration', '8s']);
    const others = [1, 3].map((index) => runTesterProcess(args(index), { cwd: ROOT, prefix: segmentHost(index).prefix }));
    // `ip netns exec` execs the tester: the child is the tester itself.
    const killed = spawn(segmentHost(2).prefix[0], [...segmentHost(2).prefix.slice(1), process.execPath, TESTER_MAIN, ...args(2)], {
      cwd: ROOT,
      stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => killed.on('exit', (_code, signal) => resolve(signal)));
    try {
      // Killed once its calls are being saved: mid-run.
      const size = () => (fs.existsSync(history) ? fs.statSync(history).size : 0);
      t.true(await waitUntil(() => size() > 10_000 || killed.exitCode !== null, 60_000), `${size()} bytes of its history`);
      t.is(killed.exitCode, null, 'segment 2 was still running');
    } finally {
      killed.kill('SIGKILL');
    }
    t.is(await exited, 'SIGKILL');
    for (const run of await Promise.all(others)) t.is(run.code, 0, describeRun(run));
    return runTester(['merge', ...outputs('killed', [1, 3])]);
  });
  t.is(merge.code, 1, describeRun(merge));
  t.regex(merge.stdout, /^Verdict: +FAIL: count not judged: .*; MISSING segment 2\/3: killed/m);
});
