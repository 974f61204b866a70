/**
 * Issue 27, points 4 and 5 end to end: a run says when the loader or the host, not the server, may
 * have set its speed, and --against fails a run that is significantly slower than a saved one.
 * Each test judges what the feature controls: the loader's share of the run is forced high (one
 * JS thread for 200 connections) or low (one client waiting 10 ms per answer), and the saved and
 * new servers differ by a delay far beyond any host's noise.
 */
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LoadResult } from '../tester/load/load-result.js';
import { runResources, speedCaution } from '../tester/load/run-resources.js';
import { freePort } from '../tester/harness/free-port.js';
import { startDelayServer } from './helpers/delay-server.js';
import { describeRun, runTester } from './helpers/run-tester.js';
import { startServer } from './helpers/server-process.js';

const host = (idleShare: number) => ({ cpus: 2, busyShare: 1 - idleShare, idleShare, stealShare: 0 });

test('a thread that wanted a CPU for most of the run marks the loader; a host without idle CPU marks the host', (t) => {
  const quiet = runResources([{ name: 'loop thread', cpuNs: 0.3e9, waitNs: 0.1e9 }], 1, host(0.5));
  t.deepEqual(quiet.limitedBy, []);
  t.is(speedCaution(quiet), undefined);
  t.is(quiet.threads[0].busyShare, 0.4);

  // Queued for a CPU counts as busy: the next call waits either way.
  const loader = runResources([{ name: 'loop thread', cpuNs: 0.5e9, waitNs: 0.4e9 }], 1, host(0.5));
  t.deepEqual(loader.limitedBy, ['loader']);
  t.is(speedCaution(loader), 'the loader (loop thread busy 90% of the run), not the server, may have set the speed');

  const both = runResources([{ name: 'JS thread', cpuNs: 2e9, waitNs: 0 }], 2, host(0.01));
  t.deepEqual(both.limitedBy, ['loader', 'host']);
  t.regex(speedCaution(both)!, /^the loader \(JS thread busy 100% of the run\) and the host \(idle 1% of 2 CPUs, load [\d.]+\), not the server/);

  // Without schedstat nothing is claimed either way.
  const unknown = runResources([{ name: 'JS thread', cpuNs: NaN, waitNs: NaN }], 1, null);
  t.deepEqual(unknown.limitedBy, []);
  t.is(unknown.threads[0].busyShare, null);
});

const CAUTION = /^Caution: +(.*)$/m;

test.serial('one JS thread driving 200 connections is named as the limit, after the reference block', async (t) => {
  const port = await freePort();
  const server = await startServer({ PORT: String(port), WORKERS: '1' });
  t.teardown(() => server.stop());
  const args = ['web', '--engine', 'js', '--n-clients', '200', '--n-calls-per-client', '100'];
  const run = await runTester([...args, '--counter-host', '127.0.0.1', '--counter-port', String(port)]);
  t.is(run.code, 0, describeRun(run));
  const [reference, extra] = run.stdout.split(/^={60}$/m).slice(2, 4).map((block) => block.trim());
  t.notRegex(reference, /Caution/);
  t.regex(extra, CAUTION);
  t.regex(CAUTION.exec(extra)![1], /^the loader \(JS thread busy (8\d|9\d|1\d\d)% of the run\).*, not the server, may have set the speed$/);
});

test.serial('one client waiting 10 ms for each answer never names the loader', async (t) => {
  const server = await startDelayServer(10);
  t.teardown(() => server.close());
  const args = ['web', '--n-clients', '1', '--n-calls-per-client', '40', '--json'];
  const run = await runTester([...args, '--counter-host', '127.0.0.1', '--counter-port', String(server.port)]);
  t.is(run.code, 0, describeRun(run));
  const result = JSON.parse(run.stdout) as LoadResult;
  t.false(result.resources.limitedBy.includes('loader'), JSON.stringify(result.resources));
  const names = result.resources.threads.map((thread) => thread.name);
  t.deepEqual(names, ['JS thread', 'loop thread']);
  // Its own work: on a CPU for a small part of the run. (Time queued for a CPU is the host's doing:
  // a busy host makes it long even for a thread that mostly waits for answers.)
  for (const thread of result.resources.threads) t.true(thread.cpuS! / result.totalTimeS < 0.5, JSON.stringify(thread));
  t.true(result.resources.host === null || result.resources.host.cpus >= 1);
  t.is(result.resources.loadAverage.length, 3);
});

test.serial('--against exits 1 on a seeded regression and 0 on a rerun of the same server', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'against-test-'));
  // 20 ms, so that a busy host's late timers (a few ms each) stay far inside the rerun's 50% threshold.
  const [usual, regressed] = await Promise.all([startDelayServer(20), startDelayServer(200)]);
  t.teardown(async () => {
    await Promise.all([usual.close(), regressed.close()]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const saved = path.join(dir, 'old.json');
  const rounds = (port: number, ...flags: string[]) =>
    runTester(['web', '--n-clients', '1', '--n-calls-per-client', '10', '--rounds', '6', '--counter-host', '127.0.0.1',
      '--counter-port', String(port), ...flags]);

  const first = await rounds(usual.port, '--output', saved);
  t.is(first.code, 0, describeRun(first));
  const savedResult = JSON.parse(fs.readFileSync(saved, 'utf8')) as LoadResult;
  t.is(savedResult.rounds?.samples.rps.length, 6);
  t.regex(first.stderr, /^round 6\/6: \d+ req\/s PASS \(done in \d+ s\)$/m);
  t.regex(first.stdout, /^RPS median \[95% CI\]: +\d+ \[\d+-\d+\], min-max \d+-\d+$/m);

  // Ten times the delay: far beyond any host's noise.
  const regression = await rounds(regressed.port, '--against', saved);
  t.is(regression.code, 1, describeRun(regression));
  t.regex(regression.stdout, /^Against .*old\.json: +0\.\d\dx \[0\.\d\d-0\.\d\d\] slower \(p=0\.00\d+\): a regression beyond 5%$/m);

  // The same server again: whatever the host's noise, not half as fast (the threshold is the
  // user's choice; the test's is wide so that a busy host cannot fail it).
  const rerun = await rounds(usual.port, '--against', saved, '--max-regression', '50%', '--json');
  t.is(rerun.code, 0, describeRun(rerun));
  t.false((JSON.parse(rerun.stdout) as LoadResult).against?.regression);
});

test('--rounds repeats plain runs only, and --against must be a single run', async (t) => {
  const run = await runTester(['web', '--n-clients', '1', '--rounds', '2', '--history', '/tmp/x.jsonl']);
  t.is(run.code, 2);
  t.regex(run.stderr, /--rounds repeats a plain run: leave out --nemesis, --history and --report/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'against-test-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const comparison = path.join(dir, 'comparison.json');
  fs.writeFileSync(comparison, JSON.stringify({ rows: [{ suite: 'web', scenario: 'disk', clients: 1, figures: { samples: { rps: [1] } } }] }));
  const wrong = await runTester(['web', '--n-clients', '1', '--against', comparison]);
  t.is(wrong.code, 2);
  t.regex(wrong.stderr, /is a comparison: use it with tester compare --against/);
});
