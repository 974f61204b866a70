/**
 * Fault injection under load. Each case drives the counter with the tester's engine while a
 * fault strikes, then asks the tester's checker for its verdict: no acknowledged increment may
 * be lost (acknowledged <= final - initial), nothing counted beyond what was attempted
 * (final - initial <= attempted), every answered value distinct and in real-time order.
 *
 * Cases stop the project's own PostgreSQL cluster (scripts/postgres.sh, never the machine's)
 * and kill a member of the shared Hazelcast cluster, so this file runs on its own, after the
 * rest of the suite (`npm test` = `ava && ava dist/test/faults.test.js`; package.json's ava
 * files leave it out of the first run). The case that takes every Hazelcast member down uses a
 * private cluster; the member-kill case comes last and leaves a fresh, healthy shared cluster
 * (scripts/hazelcast.sh restart). Ports 19000-19049.
 */
import test, { type ExecutionContext } from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ErrorKind } from '../counters/counter.js';
import { hazelcastCounterFactory, type HazelcastMethod } from '../counters/hazelcast/hazelcast-counter.js';
import { webCounterFactory } from '../counters/web/web-counter.js';
import { monotonicUs } from '../tester/check/history.js';
import { runLoad } from '../tester/load/run-load.js';
import type { LoadResult } from '../tester/load/load-result.js';
import { driveFactory, type DrivenRun } from './helpers/drive-factory.js';
import { countOf, healthPid, sendSequentially, statusOf } from './helpers/http-probes.js';
import { childPids, isAlive, killHard, openFdCount, rssMb, workerPids } from './helpers/processes.js';
import {
  hazelcastMemberPid,
  hazelcastScript,
  postgresScript,
  PrivateHazelcastCluster,
  restartHazelcast,
} from './helpers/service-scripts.js';
import { startStallServer } from './helpers/stall-server.js';
import { waitUntil as waitFor } from '../tester/harness/wait-until.js';
import { describeRun, parseJsonOutput, runTester, stderrLines } from './helpers/run-tester.js';
import { ROOT, type ServerEnv, type ServerProcess, startServer } from './helpers/server-process.js';
import { OWN_POSTGRES_ENV } from './helpers/test-postgres.js';
import { requireServices } from './helpers/required-service.js';

// The tests needing a service: one that does not answer fails, COUNTERS_SKIP_*=1 skips (required-service.ts).
// PostgreSQL is always the project's cluster here (the faults stop and start it): that is the one probed.
const services = await requireServices(['postgresql', 'hazelcast'], {
  postgresEnv: { ...process.env, ...OWN_POSTGRES_ENV },
});

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'counters-faults-'));
test.after.always(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The cases that stop shared services: see the header. */
const disruptive = {
  postgresql: services.need('postgresql').serial,
  hazelcast: services.need('hazelcast').serial,
};

/** Always the project's own cluster, whatever DB_* say: the cases below stop and start it. */
const PG_ENV: ServerEnv = { ...OWN_POSTGRES_ENV, STORAGE_METHOD: 'postgresql', POSTGRES_DB: 'counters_test_faults' };

/** Figures for the README's reliability table, printed at the end. */
const figures: Array<{
  fault: string;
  survived: boolean;
  acknowledged: number;
  lost: number;
  extra: number;
  note: string;
}> = [];
test.after.always('reliability figures', (t) => {
  const lines = figures.map(
    (f) =>
      `${f.survived ? 'survived' : 'FAILED  '} | ${f.fault} | ` +
      `acknowledged ${f.acknowledged}, lost ${f.lost}, extra ${f.extra} | ${f.note}`,
  );
  t.log(
    `faults injected: ${figures.length}, survived: ${figures.filter((f) => f.survived).length}\n${lines.join('\n')}`,
  );
});

let nextPort = 19000;

function webSpec(port: number) {
  return { backend: 'web' as const, targets: [{ host: '127.0.0.1', port }], timeoutMs: 5000 };
}

/**
 * A timed runLoad against one server; `fault` is started once the measured run has been
 * going for `faultAtMs` (the progress callback ticks every 250 ms). Resolves with the result
 * and whatever the fault returned.
 */
async function loadWithFault<T>(
  port: number,
  options: { durationMs: number; faultAtMs: number; clientCount?: number },
  fault: () => Promise<T>,
): Promise<{ result: LoadResult; faultResult: T | undefined }> {
  let faulting: Promise<T> | undefined;
  const result = await runLoad({
    spec: webSpec(port),
    clientCount: options.clientCount ?? 8,
    callsPerClient: 0,
    durationMs: options.durationMs,
    onProgress: (progress) => {
      if (progress.phase === 'run' && progress.elapsedMs >= options.faultAtMs && faulting === undefined)
        faulting = fault();
    },
  });
  const faultResult = faulting === undefined ? undefined : await faulting;
  return { result, faultResult };
}

function describe(result: LoadResult): string {
  const count = result.check.checks.count;
  const bounds =
    'acknowledgedCount' in count
      ? `acknowledged ${count.acknowledgedCount}, applied ${count.appliedCount}, attempted ${count.attemptedCount}`
      : 'count unchecked';
  const errors = `${JSON.stringify(result.errors)} ${JSON.stringify(result.errorExamples)}`;
  return `${result.verdict} | ${bounds} | errors ${errors}`;
}

/** The Jepsen bounds and value checks, each asserted with the run's verdict. */
function assertWithinBounds(t: ExecutionContext, result: LoadResult): void {
  const text = `${result.verdict} ${JSON.stringify(result.errors)}`;
  t.is(result.check.checks.count.valid, true, `count within [acknowledged, attempted]: ${text}`);
  t.is(result.check.checks.unique.valid, true, `values unique: ${text}`);
  t.is(result.check.checks.realTimeOrder.valid, true, `real-time order: ${text}`);
}

const judgedValid = (result: LoadResult | DrivenRun) =>
  result.check.checks.count.valid === true &&
  result.check.checks.unique.valid === true &&
  result.check.checks.realTimeOrder.valid === true;

/** Notes a fault's outcome for the figures (before the assertions, so a failed case shows too). */
function record(fault: string, result: LoadResult | DrivenRun, survived: boolean, note = ''): void {
  const count = result.check.checks.count;
  const numbers = 'acknowledgedCount' in count ? count : { acknowledgedCount: 0, lostCount: 0, extraCount: 0 };
  figures.push({
    fault,
    survived,
    acknowledged: numbers.acknowledgedCount,
    lost: numbers.lostCount,
    extra: numbers.extraCount,
    note,
  });
}

/** Server output that did not go through the server's own (rate-limited) log. */
function rawStderrLines(output: string): string[] {
  return output.split('\n').filter((line) => line !== '' && !line.startsWith('web-counter'));
}

function errorKinds(errors: Partial<Record<ErrorKind, number>>): string[] {
  return Object.keys(errors).filter((kind) => (errors[kind as ErrorKind] ?? 0) > 0);
}

// ------------------------------------------------------------------------------------------
// 1. kill -9 one worker under load

const STORES: Array<{ title: string; env: () => ServerEnv }> = [
  { title: 'shared memory (flock)', env: () => ({ STORAGE_METHOD: 'shared_memory', SHM_INCREMENT: 'flock' }) },
  {
    title: 'disk',
    env: () => ({ STORAGE_METHOD: 'disk', STORAGE_PATH: path.join(tmp, `worker-kill-${nextPort}.txt`) }),
  },
  { title: 'postgresql', env: () => PG_ENV },
];

for (const store of STORES) {
  services.forStore(store.env()).serial(
    `${store.title}: kill -9 of one worker mid-run: the primary replaces it, the count stays within bounds`,
    async (t) => {
      t.timeout(60_000);
      const port = nextPort++;
      const server = await startServer({ ...store.env(), WORKERS: '2', PORT: String(port) });
      const primary = server.child.pid!;
      try {
        const before = await workerPids(primary);
        t.is(before.length, 2, 'two workers before the fault');
        const { result, faultResult: victim } = await loadWithFault(
          port,
          { durationMs: 3000, faultAtMs: 500 },
          async () => {
            const pid = await healthPid(port);
            process.kill(pid, 'SIGKILL');
            return pid;
          },
        );
        t.log(`killed worker ${victim}: ${describe(result)}`);
        record(
          `kill -9 one of 2 workers (${store.title})`,
          result,
          judgedValid(result),
          `errors ${JSON.stringify(result.errors)}`,
        );
        t.true(victim !== undefined && before.includes(victim), 'a worker of this server was killed');
        assertWithinBounds(t, result);
        t.true(result.totalCalls > 0);
        const unexpected = errorKinds(result.errors).filter((kind) => kind !== 'reset' && kind !== 'refused');
        t.deepEqual(unexpected, [], `only reset/refused errors: ${JSON.stringify(result.errors)}`);
        // The replacement is the point, not its speed: 30 s is room for a loaded host, and a
        // primary that never replaces the worker still fails it.
        t.true(await waitFor(async () => (await workerPids(primary)).length === 2, 30_000), 'back to two workers');
        const after = await workerPids(primary);
        t.false(after.includes(victim!), `the dead worker is gone: ${after.join(',')}`);
        t.regex(server.output(), new RegExp(`worker ${victim} died \\(SIGKILL\\): starting a new one`));
        t.is(await statusOf(port, 'GET', '/health'), 200);
      } finally {
        await server.stop();
      }
    },
  );
}

// ------------------------------------------------------------------------------------------
// 2. kill -9 the whole server (primary and workers), restart it on the same port

const DURABLE: Array<{ title: string; env: () => ServerEnv }> = [
  { title: 'disk', env: () => ({ STORAGE_METHOD: 'disk', STORAGE_PATH: path.join(tmp, 'server-kill.txt') }) },
  {
    title: 'disk with DISK_FSYNC',
    env: () => ({ STORAGE_METHOD: 'disk', STORAGE_PATH: path.join(tmp, 'server-kill-fsync.txt'), DISK_FSYNC: 'true' }),
  },
  { title: 'postgresql', env: () => PG_ENV },
];

for (const store of DURABLE) {
  services.forStore(store.env()).serial(
    `${store.title}: kill -9 of the whole server mid-run, restarted on the same port: nothing acknowledged is lost`,
    async (t) => {
      t.timeout(60_000);
      const port = nextPort++;
      const env = { ...store.env(), WORKERS: '2', PORT: String(port) };
      const first = await startServer(env);
      let second: ServerProcess | undefined;
      try {
        const { result, faultResult } = await loadWithFault(port, { durationMs: 3500, faultAtMs: 800 }, async () => {
          const pids = [first.child.pid!, ...(await childPids(first.child.pid!))];
          const dead = await killHard(pids);
          // A real outage: clients see refused connections for a while.
          await sleep(300);
          second = await startServer(env);
          return { pids, dead };
        });
        t.log(`killed ${faultResult?.pids.join(',')}: ${describe(result)}`);
        record(
          `kill -9 of primary + 2 workers, restart (${store.title})`,
          result,
          judgedValid(result),
          `errors ${JSON.stringify(result.errors)}`,
        );
        t.true(faultResult?.dead, 'primary and workers were all gone before the restart');
        t.truthy(second, 'the server was restarted');
        assertWithinBounds(t, result);
        const felt = (result.errors.reset ?? 0) + (result.errors.refused ?? 0);
        t.true(felt > 0, `the clients felt the crash: ${JSON.stringify(result.errors)}`);
        const count = await countOf(port);
        t.is(count, result.finalCount ?? undefined, 'the restarted server reports the count the checker judged');
        const ack = result.check.checks.count as { acknowledgedCount: number; attemptedCount: number };
        t.true(
          count! - result.initialCount >= ack.acknowledgedCount,
          `no acknowledged increment lost: ${count} vs ${ack.acknowledgedCount}`,
        );
        t.true(count! - result.initialCount <= ack.attemptedCount, 'nothing beyond what was attempted');
      } finally {
        await first.stop();
        await second?.stop();
      }
    },
  );
}

// ------------------------------------------------------------------------------------------
// 3. restart PostgreSQL under load

/**
 * Recovering by itself (no restart of the server) is the point, not how fast: it takes well under a
 * second on an idle host, and this is room for a loaded one. A server that never reconnects fails.
 */
const RESTART_RECOVERY_MS = 30_000;

disruptive.postgresql(
  'postgresql: a database restart under load is answered 503, then the service recovers by itself, ' +
    'nothing acknowledged lost',
  async (t) => {
    t.timeout(120_000);
    const port = nextPort++;
    const server = await startServer({ ...PG_ENV, WORKERS: '2', PORT: String(port) });
    const primary = server.child.pid!;
    try {
      const workersBefore = await childPids(primary);
      const clientCount = 8;
      const { result, faultResult } = await loadWithFault(
        port,
        { durationMs: 15_000, faultAtMs: 1500, clientCount },
        async () => {
          const stopped = await postgresScript('stop');
          const stoppedAt = Date.now();
          // While it is down, the server answers at once (no hang) with 503.
          const duringOutage = await statusOf(port, 'POST', '/inc');
          await sleep(1000);
          const started = await postgresScript('start');
          const upAt = Date.now();
          // Recovery: the first answered read after the database is back (read-only: the history stays exact).
          const recovered = await waitFor(
            async () => (await statusOf(port, 'GET', '/count')) === 200,
            RESTART_RECOVERY_MS,
            50,
          );
          return {
            stopped,
            started,
            duringOutage,
            outageMs: upAt - stoppedAt,
            recoveryMs: Date.now() - upAt,
            recovered,
          };
        },
      );
      t.log(
        `outage ${faultResult?.outageMs} ms, recovered ${faultResult?.recoveryMs} ms after the restart: ` +
          describe(result),
      );
      record(
        'PostgreSQL stop/start under load (postgresql store)',
        result,
        judgedValid(result),
        `outage ${faultResult?.outageMs} ms, recovery ${faultResult?.recoveryMs} ms, ` +
          `errors ${JSON.stringify(result.errors)}`,
      );
      t.is(faultResult?.stopped.code, 0, faultResult?.stopped.stderr);
      t.is(faultResult?.started.code, 0, faultResult?.started.stderr);
      t.is(faultResult?.duringOutage, 503, 'an increment during the outage is answered 503');
      t.true(faultResult?.recovered, 'the server serves again without a restart of its own');
      t.true(
        (faultResult?.recoveryMs ?? Infinity) < RESTART_RECOVERY_MS,
        `recovered within ${RESTART_RECOVERY_MS / 1000} s (${faultResult?.recoveryMs} ms)`,
      );
      t.true((result.errors.http_status ?? 0) > 0, `clients saw 503s: ${JSON.stringify(result.errors)}`);
      t.true(
        (result.errors.timeout ?? 0) <= clientCount,
        `timeouts are rare (no hang): ${JSON.stringify(result.errors)}`,
      );
      assertWithinBounds(t, result);
      t.is(await statusOf(port, 'POST', '/inc'), 200, 'increments work again');
      t.deepEqual(await childPids(primary), workersBefore, 'no worker died or was replaced');
      t.notRegex(server.output(), /died/);
      t.notRegex(server.output(), /no answer from PostgreSQL within/, 'no statement waited for its timeout');
      t.deepEqual(rawStderrLines(server.output()), [], "nothing raw on stderr (libpq's FATAL text included)");
    } finally {
      await server.stop();
      const again = await postgresScript('start');
      if (again.code !== 0) t.log(`PostgreSQL did not come back: ${again.stderr}`);
    }
  },
);

// ------------------------------------------------------------------------------------------
// 3b. a store outage met by new requests: each one would need a new connection to the store

interface OutageFigures {
  fds: number | undefined;
  rssMb: number | undefined;
}

const ANSWERED_AT_ONCE_MS = 2500;

/**
 * One worker serves, then the store goes `down` while 2000 POST /inc arrive on one keep-alive
 * connection, then comes back `up`. Every increment of the outage is answered 503 at once,
 * the worker's fds stay at their baseline (a failed connect releases its socket), the log
 * stays short, and the first request after the store is back succeeds within `recoveryMs`.
 */
async function outageWithNewRequests(
  t: ExecutionContext,
  store: string,
  env: ServerEnv,
  outage: { down(): Promise<void>; up(): Promise<void>; recoveryMs: number },
): Promise<void> {
  const port = nextPort++;
  const server = await startServer({ ...env, WORKERS: '1', PORT: String(port) });
  try {
    const [worker] = await childPids(server.child.pid!);
    const sample = (): OutageFigures => ({ fds: openFdCount(worker), rssMb: rssMb(worker) });
    const warm = await sendSequentially(port, 'POST', '/inc', 200);
    t.deepEqual(warm.statuses, { 200: 200 }, 'served before the outage');
    const before = sample();
    const outputBefore = server.output().length;
    await outage.down();
    const during = await sendSequentially(port, 'POST', '/inc', 2000);
    const duringFigures = sample();
    await outage.up();
    const upAt = performance.now();
    const recovered = await waitFor(async () => (await statusOf(port, 'POST', '/inc')) === 200, outage.recoveryMs, 20);
    const recoveryMs = performance.now() - upAt;
    // Time for connections dropped during the outage to be finished.
    await sleep(2000);
    const after = sample();
    const row = (name: string, f: OutageFigures) =>
      `${name.padEnd(8)} ${String(f.fds).padStart(5)} ${f.rssMb?.toFixed(1).padStart(8)}`;
    t.log(
      [
        `${store} outage: 2000 POST /inc answered ${JSON.stringify(during.statuses)} ` +
          `in ${during.elapsedMs.toFixed(0)} ms ` +
          `(slowest ${during.slowestMs.toFixed(0)} ms); first 200 ${recoveryMs.toFixed(0)} ms after the store was back`,
        `worker      fds   RSS MB`,
        row('before', before),
        row('during', duringFigures),
        row('after', after),
      ].join('\n'),
    );
    const logged = server
      .output()
      .slice(outputBefore)
      .split('\n')
      .filter((line) => line !== '');
    figures.push({
      fault: `${store} down, 2000 new requests`,
      survived:
        after.fds !== undefined &&
        Math.abs(after.fds - before.fds!) <= 10 &&
        recovered &&
        recoveryMs < outage.recoveryMs,
      acknowledged: 0,
      lost: 0,
      extra: 0,
      note:
        `fds ${before.fds}/${duringFigures.fds}/${after.fds}, ` +
        `RSS ${[before, duringFigures, after].map((f) => f.rssMb?.toFixed(0)).join('/')} MB, ` +
        `first 200 after ${recoveryMs.toFixed(0)} ms`,
    });
    t.deepEqual(during.statuses, { 503: 2000 }, 'every increment during the outage is answered 503');
    // A request that waited for the store would take the 5 s of PG_STATEMENT_TIMEOUT_MS or
    // HZ_CONNECT_TIMEOUT_MS (their defaults); half of that leaves a loaded host room.
    t.true(
      during.slowestMs < ANSWERED_AT_ONCE_MS,
      `answered at once, not after a 5 s timeout (slowest ${during.slowestMs.toFixed(0)} ms)`,
    );
    t.true(
      duringFigures.fds! <= before.fds! + 10,
      `no fd growth during the outage: ${before.fds} -> ${duringFigures.fds}`,
    );
    t.true(Math.abs(after.fds! - before.fds!) <= 10, `fds back to the baseline: ${before.fds} -> ${after.fds}`);
    t.true(recovered, 'serves again without a restart of its own');
    t.true(
      recoveryMs < outage.recoveryMs,
      `first 200 within ${outage.recoveryMs} ms of the store's return (${recoveryMs.toFixed(0)} ms)`,
    );
    t.deepEqual(rawStderrLines(server.output()), [], "nothing raw on stderr (libpq's FATAL text included)");
    t.true(logged.length <= 6, `the log stays short: ${logged.length} lines`);
  } finally {
    await server.stop();
  }
}

disruptive.postgresql(
  'postgresql: an outage met by 2000 new requests: 503 at once, no fd growth, served again by itself',
  async (t) => {
    t.timeout(120_000);
    try {
      await outageWithNewRequests(t, 'PostgreSQL', PG_ENV, {
        down: async () => {
          t.is((await postgresScript('stop')).code, 0, 'PostgreSQL stopped');
        },
        up: async () => {
          t.is((await postgresScript('start')).code, 0, 'PostgreSQL started');
        },
        // Well under a second on an idle host: 10x the 2 s once asked, for a loaded one.
        recoveryMs: 20_000,
      });
    } finally {
      await postgresScript('start');
    }
  },
);

disruptive.hazelcast(
  'hazelcast: all members down, 2000 new requests: 503 at once, no fd growth, served again once the cluster is back',
  async (t) => {
    t.timeout(240_000);
    // A cluster of this test's own: the shared one on 5701-5703 stays up for everyone else.
    const cluster = new PrivateHazelcastCluster(`faults-${process.pid}`, [19047, 19048, 19049], tmp);
    try {
      await cluster.start();
      await outageWithNewRequests(
        t,
        'Hazelcast',
        { ...cluster.env, STORAGE_METHOD: 'hazelcast' },
        {
          down: () => cluster.killAll(),
          up: () => cluster.start(),
          // The restarted cluster's CP Subsystem still elects a leader for the group "default" on
          // first use (leader-election-timeout-in-millis: 1000 in docker/hazelcast-cp.yaml); 10x the
          // 5 s once asked, for three JVMs restarting on a loaded 2-core host.
          recoveryMs: 50_000,
        },
      );
    } finally {
      await cluster.killAll();
    }
  },
);

// ------------------------------------------------------------------------------------------
// 5. the tester's own timeouts

const TIMEOUT_CASES: Array<{ title: string; stalledWeight: number; expectPassed: boolean }> = [
  { title: 'stalled increments applied once: within bounds, exit 0', stalledWeight: 1, expectPassed: true },
  { title: 'stalled increments applied twice: EXTRA, exit 1', stalledWeight: 2, expectPassed: false },
];

for (const { title, stalledWeight, expectPassed } of TIMEOUT_CASES) {
  test.serial(`tester --timeout-ms 200 against a server that never answers some increments: ${title}`, async (t) => {
    t.timeout(30_000);
    const stall = await startStallServer(nextPort++, { stallEvery: 4, stalledWeight });
    try {
      const run = await runTester(
        [
          'web',
          '--n-clients',
          '4',
          '--n-calls-per-client',
          '20',
          '--timeout-ms',
          '200',
          '--json',
          '--counter-host',
          '127.0.0.1',
          '--counter-port',
          String(stall.port),
        ],
        { timeoutMs: 20_000 },
      );
      const json = parseJsonOutput(run);
      t.log(`exit ${run.code} in ${run.elapsedMs} ms: ${json.verdict} errors ${JSON.stringify(json.errors)}`);
      t.is(run.signal, null, describeRun(run));
      t.true(json.errors.timeout >= 20, 'every stalled increment is reported as a timeout');
      t.regex(json.errorExamples.timeout, /no answer within 200 ms/);
      t.is(json.retryCount, 0, 'the web client never retries an increment (a retry could count it twice)');
      t.is(json.passed, expectPassed, json.verdict);
      t.is(run.code, json.passed ? 0 : 1, 'exit code follows the verdict');
      if (!expectPassed) t.regex(json.verdict, /EXTRA/);
      t.deepEqual(stderrLines(run), [], 'no crash, nothing on stderr');
      t.true(run.elapsedMs < 15_000, `bounded by the timeout (${run.elapsedMs} ms)`);
    } finally {
      await stall.stop();
    }
  });
}

test.serial(
  'tester --timeout-ms 300 against a server that never answers at all: exit 3 in one line, quickly',
  async (t) => {
    const stall = await startStallServer(nextPort++, { stallEverything: true });
    try {
      const run = await runTester(
        [
          'web',
          '--n-clients',
          '2',
          '--n-calls-per-client',
          '5',
          '--timeout-ms',
          '300',
          '--counter-host',
          '127.0.0.1',
          '--counter-port',
          String(stall.port),
        ],
        { timeoutMs: 20_000 },
      );
      t.is(run.code, 3, describeRun(run));
      const lines = stderrLines(run);
      t.is(lines.length, 1, describeRun(run));
      t.regex(lines[0], /no answer within 300 ms/);
      t.true(run.elapsedMs < 10_000, `${run.elapsedMs} ms`);
    } finally {
      await stall.stop();
    }
  },
);

// ------------------------------------------------------------------------------------------
// 4. kill 1 of 3 Hazelcast members during atomic, pessimistic and optimistic runs (last)

/** The member that most recently became leader of the CP group "default", from the members' logs. */
function defaultGroupLeader(): number | undefined {
  let best: { member: number; at: number } | undefined;
  for (const member of [1, 2, 3]) {
    let text: string;
    try {
      text = fs.readFileSync(path.join(ROOT, '.hazelcast/logs', `member-${member}.log`), 'utf8');
    } catch {
      continue;
    }
    const lines = text.split('\n');
    for (let i = 1; i < lines.length; i++) {
      if (!lines[i].includes('We are the LEADER!') || !/\(default\)\s*$/.test(lines[i - 1])) continue;
      const at = Date.parse(lines[i - 1].replace(/ com\.hazelcast.*$/, ''));
      if (Number.isFinite(at) && (!best || at >= best.at)) best = { member, at };
    }
  }
  return best?.member;
}

/** How long after `killedAt` the surviving members' logs show a 2-member cluster (second resolution). */
function memberRemovalDelay(victim: number, killedAt: number): string {
  const delays: string[] = [];
  for (const member of [1, 2, 3].filter((n) => n !== victim)) {
    let lines: string[];
    try {
      lines = fs.readFileSync(path.join(ROOT, '.hazelcast/logs', `member-${member}.log`), 'utf8').split('\n');
    } catch {
      continue;
    }
    let at = -1;
    for (let i = lines.length - 1; i >= 0 && at < 0; i--) if (lines[i].includes('Members {size:2')) at = i;
    // The timestamp is on the logger line two lines above "Members {...".
    const stamp = lines
      .slice(Math.max(0, at - 4), at)
      .reverse()
      .find((line) => /^[A-Z][a-z]{2} \d+, \d{4} /.test(line));
    const when = stamp ? Date.parse(stamp.replace(/ (com|org)\..*$/, '')) : NaN;
    delays.push(
      at < 0
        ? `member ${member}: not yet`
        : `member ${member}: ~${Number.isFinite(when) ? Math.max(0, (when - killedAt) / 1000).toFixed(0) : '?'} s`,
    );
  }
  return `after ${delays.join(', ')} (log stamps have 1 s resolution)`;
}

disruptive.hazelcast(
  'hazelcast: kill -9 of 1 of 3 members during atomic, pessimistic and optimistic runs and the web store',
  async (t) => {
    t.timeout(240_000);
    const status = await hazelcastScript('status');
    if (status.code !== 0 || [1, 2, 3].some((n) => hazelcastMemberPid(n) === undefined)) {
      t.fail(`the 3-member cluster of scripts/hazelcast.sh is not running: ${status.stdout}${status.stderr}`);
      return;
    }
    const victimMember = defaultGroupLeader() ?? 3;
    const victimPid = hazelcastMemberPid(victimMember)!;
    const tag = `faults-${process.pid}`;
    const env = (method: string) => ({
      ...process.env,
      HZ_MAP_NAME: `${tag}-map-${method}`,
      HZ_COUNTER_KEY: 'count',
      HZ_ATOMIC_LONG_NAME: `${tag}-atomic-${method}`,
      HZ_FENCED_LOCK_NAME: `${tag}-lock-${method}`,
      HZ_PN_COUNTER_NAME: `${tag}-pn-${method}`,
    });
    const methods: HazelcastMethod[] = ['atomic', 'pessimistic', 'optimistic'];
    // The web store (STORAGE_METHOD=hazelcast) rides the same kill: a second kill would cost the
    // colleagues' shared cluster another restart. Its client waits longer than the server's calls.
    const webPort = nextPort++;
    const server = await startServer({
      STORAGE_METHOD: 'hazelcast',
      HZ_ATOMIC_LONG_NAME: `${tag}-web`,
      PORT: String(webPort),
      WORKERS: '2',
    });
    const factories = [
      ...methods.map((method) => hazelcastCounterFactory(method, env(method))),
      webCounterFactory({ ...webSpec(webPort), timeoutMs: 30_000 }),
    ];
    const leaderBefore = defaultGroupLeader();
    let killedAt = 0;
    let killedUs = 0;
    try {
      // One kill strikes all runs: a second kill would leave the CP group without a majority.
      const runs = await Promise.all(
        factories.map((factory, i) =>
          driveFactory(factory, {
            clientCount: 4,
            // Long enough after the kill (18.5 s) to outlast the client's 5 s wait for a dead backup's
            // ack, and the bound on the first success after it below, on a loaded host.
            durationMs: 20_000,
            ...(i === 0
              ? {
                  faultAtMs: 1500,
                  fault: () => {
                    killedAt = Date.now();
                    killedUs = monotonicUs();
                    process.kill(victimPid, 'SIGKILL');
                  },
                }
              : {}),
          }),
        ),
      );
      t.true(killedAt > 0 && !isAlive(victimPid), `member ${victimMember} (pid ${victimPid}) was killed`);
      const leaderAfter = defaultGroupLeader();
      t.log(
        `killed member ${victimMember} (pid ${victimPid})` +
          `${leaderBefore === victimMember ? ', the leader of CP group "default"' : ''}; ` +
          `leader afterwards: member ${leaderAfter ?? '?'}`,
      );
      for (const run of runs) {
        const count = run.check.checks.count as {
          acknowledgedCount: number;
          appliedCount?: number;
          attemptedCount: number;
          extraCount: number;
          lostCount: number;
        };
        const after = run.okInvokedAfter(killedUs);
        const firstMs = run.firstOkAfterMs(killedUs);
        t.log(
          `${run.name}: ${run.verdict}; ${after} acknowledged after the kill, ` +
            `the first ${firstMs?.toFixed(0)} ms after it; ` +
            `slowest call ${run.maxLatencyMs.toFixed(0)} ms; ` +
            `errors ${JSON.stringify(run.errors)} ${JSON.stringify(run.errorExamples)}`,
        );
        record(
          `kill -9 of Hazelcast member ${victimMember}/3 (${run.name})`,
          run,
          judgedValid(run),
          `errors ${JSON.stringify(run.errors)}`,
        );
        t.not(run.finalCount, undefined, `${run.name}: the count is readable after the fault`);
        t.true(after > 0, `${run.name}: increments were acknowledged after the kill`);
        // A mutating map call whose backup replica died waits hazelcast.client.operation.backup.timeout.millis
        // (5 s). Resuming is the point: 3x that leaves room for three JVMs on a loaded 2-core host.
        t.true(
          firstMs !== undefined && firstMs < 15_000,
          `${run.name}: service resumed within 15 s of the kill (${firstMs} ms)`,
        );
        t.is(count.lostCount, 0, `${run.name}: no acknowledged increment lost: ${run.verdict}`);
        // With fail-on-indeterminate-operation-state a call whose CP leader died fails as indeterminate
        // instead of being retried by the member on the new leader: nothing is applied twice.
        t.is(count.extraCount, 0, `${run.name}: nothing counted twice: ${run.verdict}`);
        t.is(run.check.checks.count.valid, true, `${run.name}: ${run.verdict}`);
        t.is(run.check.checks.unique.valid, true, `${run.name}: unique values: ${run.verdict}`);
        t.is(run.check.checks.realTimeOrder.valid, true, `${run.name}: real-time order: ${run.verdict}`);
      }
      const web = runs[runs.length - 1];
      t.deepEqual(
        errorKinds(web.errors as Partial<Record<ErrorKind, number>>).filter((kind) => kind !== 'http_status'),
        [],
        'the web store answers 503 or succeeds',
      );
      if (web.errors.http_status) t.regex(web.errorExamples.http_status!, / POST \/inc answered status 503$/);
    } finally {
      await server.stop();
      t.log(`survivors dropped the dead member ${memberRemovalDelay(victimMember, killedAt)}`);
      // A fresh cluster, CP Subsystem with 3 members again, for whatever runs next.
      const restarted = await restartHazelcast();
      t.log(`scripts/hazelcast.sh ${restarted.log.join('; ')}`);
      t.true(restarted.ok, restarted.log.join('\n'));
      const healthy = await hazelcastScript('status');
      t.is(healthy.code, 0, healthy.stdout);
    }
  },
);
