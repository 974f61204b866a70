/**
 * A tester killed (SIGKILL) in the middle of a fault leaves it in force; `tester heal`, or the
 * next run, undoes it and says so in one line, for every fault kind of the catalogue. The
 * PostgreSQL faults strike the project's own test cluster (PG_TEST_PORT), always, whatever
 * DB_* say; the Hazelcast ones a private 3-member cluster on ports 19294-19296. The network
 * faults need root and iproute2, as the nemesis does. Runs after the rest of the suite, one file
 * at a time (package.json): it stops PostgreSQL, and every tester run heals what it finds.
 */
import test, { type ExecutionContext } from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { waitUntil } from '../tester/harness/wait-until.js';
import { childPids, isAlive, listenerPids, signalAll } from '../tester/nemesis/processes.js';
import { PrivateHazelcastCluster } from './helpers/service-scripts.js';
import { describeRun, runTester, stderrLines, TESTER_MAIN } from './helpers/run-tester.js';
import { ROOT } from './helpers/server-process.js';
import { OWN_POSTGRES_ENV } from './helpers/test-postgres.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'counters-nemesis-heal-'));
test.after.always(() => fs.rmSync(tmp, { recursive: true, force: true }));

const PG_ENV = { ...OWN_POSTGRES_ENV, POSTGRES_DB: 'counter_db' };
const PG_PORT = Number(PG_ENV.DB_PORT);
const PG_SERVER = `STORAGE_METHOD=postgresql ${Object.entries(PG_ENV)
  .map(([name, value]) => `${name}=${value}`)
  .join(' ')} WORKERS=2`;
/** A short run that passes only when the store serves again. */
const SHORT_RUN = ['--n-clients', '2', '--n-calls-per-client', '50'];

interface KilledTester {
  pid: number;
  /** The processes the tester had started (its web server) when it was killed. */
  children: number[];
  /** What it had printed on stderr: the fault's start line among it. */
  stderr: string;
}

/**
 * Starts a tester with `fault` and SIGKILLs it once the fault's start line is printed. Each
 * fault is held for 3 s, so it is still in force when the kill lands (checked: no stop line).
 */
async function killedInFault(
  t: ExecutionContext,
  fault: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<KilledTester> {
  const run = ['--n-clients', '2', '--duration', '120s', '--nemesis', fault, '--nemesis-interval', '3s'];
  const child = spawn(process.execPath, [TESTER_MAIN, ...args, ...run], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const started = await waitUntil(() => stderr.includes(`start-${fault}: `) || child.exitCode !== null, 90_000);
  t.true(started && child.exitCode === null, `no start-${fault} line:\n${stderr}`);
  const children = childPids(child.pid!);
  child.kill('SIGKILL');
  await exited;
  t.false(stderr.includes(`stop-${fault}`), `the fault was healed before the kill:\n${stderr}`);
  return { pid: child.pid!, children, stderr };
}

/** `tester heal` undid what the killed tester left, and said so in one line matching `done`. */
async function assertHealed(t: ExecutionContext, killed: KilledTester, done: RegExp): Promise<void> {
  const run = await runTester(['heal'], { timeoutMs: 180_000 });
  t.is(run.code, 0, describeRun(run));
  t.is(run.stderr, '', describeRun(run));
  const lines = run.stdout.trim().split('\n');
  t.is(lines.length, 1, run.stdout);
  t.true(lines[0].startsWith(`healed what tester pid ${killed.pid} left: `), run.stdout);
  t.regex(lines[0], done);
  await assertNothingLeft(t);
}

/** A second `tester heal` finds nothing: what was healed is struck out. */
async function assertNothingLeft(t: ExecutionContext): Promise<void> {
  const again = await runTester(['heal']);
  t.is(again.code, 0, describeRun(again));
  t.is(again.stdout, 'nothing to heal: no dead tester left a fault in force\n');
}

/** The next run heals first, says so in its first line, then passes. */
async function assertNextRunHeals(t: ExecutionContext, killed: KilledTester, args: string[], done: RegExp) {
  const run = await runTester([...args, ...SHORT_RUN], { env: PG_ENV, timeoutMs: 180_000 });
  t.is(run.code, 0, describeRun(run));
  const [first] = stderrLines(run);
  t.true(first.startsWith(`tester: healed what tester pid ${killed.pid} left: `), describeRun(run));
  t.regex(first, done);
  await assertNothingLeft(t);
}

/** A run of `args` passes, and heals nothing on the way. */
async function assertServes(t: ExecutionContext, args: string[], env: Record<string, string> = PG_ENV) {
  const run = await runTester([...args, ...SHORT_RUN], { env, timeoutMs: 120_000 });
  t.is(run.code, 0, describeRun(run));
  t.notRegex(run.stderr, /healed/, describeRun(run));
}

/** The state letter of /proc/PID/stat: "T" for a process stopped by a signal. */
function stateOf(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2];
  } catch {
    return undefined;
  }
}

/** The process listening on `port` and its children: a postmaster's backends. */
async function listenerTree(port: number): Promise<number[]> {
  const [pid] = await listenerPids(port);
  return pid === undefined ? [] : [pid, ...childPids(pid)];
}

const stopped = (pids: number[]) => pids.filter((pid) => stateOf(pid) === 'T');
const allGone = (pids: number[]) => pids.every((pid) => !isAlive(pid));

// ------------------------------------------------------------------------------------------
// PostgreSQL: the faults that outlive the tester

test.serial('pause-postgresql: a killed tester leaves PostgreSQL stopped; tester heal resumes it', async (t) => {
  const killed = await killedInFault(t, 'pause-postgresql', ['postgresql'], PG_ENV);
  const paused = await listenerTree(PG_PORT);
  t.is(stateOf(paused[0]), 'T', 'the postmaster runs');
  t.true(stopped(paused).length > 1, `backends stopped: ${stopped(paused)} of ${paused}`);
  await assertHealed(t, killed, new RegExp(`: SIGCONT postmaster pids [\\d, ]+ \\(port ${PG_PORT}\\)$`));
  t.deepEqual(stopped(paused), []);
  await assertServes(t, ['postgresql']);
});

test.serial('a running tester keeps its fault: tester heal leaves it alone', async (t) => {
  const run = ['postgresql', '--n-clients', '2', '--duration', '120s', '--nemesis', 'pause-postgresql'];
  // Held 6 s: long enough for a `tester heal` meanwhile.
  const child = spawn(process.execPath, [TESTER_MAIN, ...run, '--nemesis-interval', '6s'], {
    cwd: ROOT,
    env: { ...process.env, ...PG_ENV },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    t.true(await waitUntil(() => stderr.includes('start-pause-postgresql: '), 90_000), stderr);
    const [postmaster] = await listenerPids(PG_PORT);
    await assertNothingLeft(t);
    t.is(stateOf(postmaster), 'T', "tester heal resumed a running tester's fault");
    t.false(stderr.includes('stop-pause-postgresql'), 'the fault ended before the check');
  } finally {
    // Ctrl-C heals the fault in force.
    child.kill('SIGINT');
    await new Promise((resolve) => child.once('exit', resolve));
  }
  t.deepEqual(stopped(await listenerTree(PG_PORT)), []);
});

test.serial('pause-postgresql: the next run resumes PostgreSQL first, saying so, then passes', async (t) => {
  const killed = await killedInFault(t, 'pause-postgresql', ['postgresql'], PG_ENV);
  t.true(stopped(await listenerTree(PG_PORT)).length > 0);
  await assertNextRunHeals(t, killed, ['postgresql'], /: SIGCONT postmaster pids [\d, ]+ \(port \d+\)$/);
});

test.serial('restart-postgresql: a killed tester leaves PostgreSQL down; tester heal starts it again', async (t) => {
  const [before] = await listenerPids(PG_PORT);
  const killed = await killedInFault(t, 'restart-postgresql', ['postgresql'], PG_ENV);
  t.deepEqual(await listenerPids(PG_PORT), [], 'PostgreSQL listens again without a heal');
  const restarted = `: postmaster pid ${before} restarted as pid \\d+ \\(port ${PG_PORT}\\)$`;
  await assertHealed(t, killed, new RegExp(restarted));
  const [after] = await listenerPids(PG_PORT);
  // Started again as it was: the same program, data directory and port, as the same user.
  const commandLine = (pid: number) => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  t.regex(commandLine(after), new RegExp(`-D\\x00[^\\x00]+/data\\x00-p\\x00${PG_PORT}\\x00$`));
  t.is(fs.statSync(`/proc/${after}`).uid, fs.statSync(path.join(ROOT, '.services/postgresql/data')).uid);
  await assertServes(t, ['postgresql']);
});

test.serial('restart-postgresql: the next run starts PostgreSQL first, saying so, then passes', async (t) => {
  const killed = await killedInFault(t, 'restart-postgresql', ['postgresql'], PG_ENV);
  t.deepEqual(await listenerPids(PG_PORT), []);
  await assertNextRunHeals(t, killed, ['postgresql'], /: postmaster pid \d+ restarted as pid \d+ \(port \d+\)$/);
});

// ------------------------------------------------------------------------------------------
// The web server the tester started, and its network namespace

const namespaces = (): string[] =>
  execFileSync('ip', ['netns', 'list'])
    .toString()
    .match(/^counters-nemesis-\d+/gm) ?? [];
/** The outside ends of the tester's veth pairs, e.g. "7: cnc4242@if6: ...". */
const vethOf = (tester: number) => new RegExp(`: cn[cs]${tester}@`).test(execFileSync('ip', ['link']).toString());

for (const fault of ['kill-worker', 'kill-server']) {
  test.serial(`${fault}: the server a killed tester started is stopped by tester heal`, async (t) => {
    const server = 'STORAGE_METHOD=shared_memory WORKERS=2';
    const killed = await killedInFault(t, fault, ['web', '--server', server]);
    // kill-worker: the primary replaced its worker and serves on, orphaned; kill-server: it is dead already.
    const killedPid = Number(/SIGKILL server pid (\d+)/.exec(killed.stderr)?.[1]);
    const primary = fault === 'kill-worker' ? killed.children[0] : killedPid;
    t.true(primary > 0, `no server pid:\n${killed.stderr}`);
    t.is(isAlive(primary), fault === 'kill-worker');
    const done = fault === 'kill-worker' ? 'stopped' : 'already gone';
    await assertHealed(t, killed, new RegExp(`: server pid ${primary} ${done}$`));
    t.true(allGone(killed.children), `a server process survived: ${killed.children}`);
    await assertServes(t, ['web', '--server', server]);
  });
}

for (const fault of ['partition', 'latency']) {
  test.serial(`${fault}: a killed tester's namespace and server are removed by tester heal`, async (t) => {
    const killed = await killedInFault(t, fault, ['web', '--server', PG_SERVER]);
    const namespace = `counters-nemesis-${killed.pid}`;
    t.true(namespaces().includes(namespace) && vethOf(killed.pid));
    const done = `: server pid \\d+ (stopped|already gone); network namespace ${namespace} removed$`;
    await assertHealed(t, killed, new RegExp(done));
    t.false(namespaces().includes(namespace));
    t.false(vethOf(killed.pid), 'a veth pair is left');
    t.true(allGone(killed.children), `a server process survived: ${killed.children}`);
    await assertServes(t, ['web', '--server', PG_SERVER]);
  });
}

test.serial("latency: the next run removes a killed tester's namespace first, saying so", async (t) => {
  const killed = await killedInFault(t, 'latency', ['web', '--server', PG_SERVER]);
  const namespace = `counters-nemesis-${killed.pid}`;
  t.true(namespaces().includes(namespace));
  const done = new RegExp(`namespace ${namespace} removed$`);
  await assertNextRunHeals(t, killed, ['web', '--server', PG_SERVER], done);
  t.false(namespaces().includes(namespace));
});

// ------------------------------------------------------------------------------------------
// Hazelcast members of a private cluster

const HZ_PORTS = [19294, 19295, 19296];
/** The member the nemesis strikes first: the last of HZ_CLUSTER_MEMBERS. */
const STRUCK_PORT = HZ_PORTS[2];

test.serial("pause-member, kill-member: tester heal resumes, then restarts, a killed tester's member", async (t) => {
  t.timeout(600_000);
  const cluster = new PrivateHazelcastCluster('nemesis-heal', HZ_PORTS, fs.mkdtempSync(path.join(tmp, 'hazelcast-')));
  try {
    await cluster.start();
    const [member] = await listenerPids(STRUCK_PORT);
    const paused = await killedInFault(t, 'pause-member', ['hazelcast', '--method', 'atomic'], cluster.env);
    t.is(stateOf(member), 'T');
    await assertHealed(t, paused, new RegExp(`: SIGCONT Hazelcast member pids ${member} \\(port ${STRUCK_PORT}\\)$`));
    t.not(stateOf(member), 'T');

    // A lock-free method: a map lock held by a killed client lasts until the cluster gives up on it.
    const killed = await killedInFault(t, 'kill-member', ['hazelcast', '--method', 'atomic'], cluster.env);
    t.deepEqual(await listenerPids(STRUCK_PORT), []);
    const restarted = `: Hazelcast member pid ${member} restarted as pid \\d+ \\(port ${STRUCK_PORT}\\)$`;
    await assertHealed(t, killed, new RegExp(restarted));
    await assertServes(t, ['hazelcast', '--method', 'atomic'], cluster.env);
  } finally {
    // Members the heal started are not the cluster's children: they are found by their port.
    await cluster.killAll();
    signalAll((await Promise.all(HZ_PORTS.map((port) => listenerPids(port)))).flat(), 'SIGKILL');
  }
});

// ------------------------------------------------------------------------------------------
// The state directory

test.serial("a state directory that is not the user's alone is refused: one line, exit 2", async (t) => {
  // Another user's directory where uid 65534 keeps its state: what is in it could be made to run.
  const dir = path.join(os.tmpdir(), 'counters-tester-65534');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { mode: 0o755 });
  try {
    const ids = ['--reuid=65534', '--regid=65534', '--clear-groups'];
    const run = spawn('setpriv', [...ids, process.execPath, TESTER_MAIN, 'heal'], { cwd: ROOT });
    let stderr = '';
    run.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise((resolve) => run.once('close', resolve));
    t.is(code, 2, stderr);
    const refused = `${dir} is not a directory of this user's alone (mode 0700): remove it`;
    t.is(stderr, `tester: ${refused} (see npx tester --help)\n`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
