import type { ExecutionContext } from 'ava';
import path from 'node:path';
import { type LaunchedServer, launchServer } from '../../tester/harness/server-launcher.js';
import {
  parseJsonOutput,
  runTesterProcess,
  type TesterRun,
  type TesterRunOptions,
} from '../../tester/harness/tester-process.js';
import { ROOT } from './server-process.js';

export { parseJsonOutput, TESTER_MAIN, type TesterRun } from '../../tester/harness/tester-process.js';

const FAULTY_SERVER_MAIN = path.join(ROOT, 'dist/test/fixtures/faulty-server.js');

/** At most this many tester processes at once per test file: the host has 2 cores. */
const MAX_RUNNING = 2;
let running = 0;
const queue: Array<() => void> = [];

async function slot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= MAX_RUNNING) await new Promise<void>((resolve) => queue.push(resolve));
  running++;
  try {
    return await work();
  } finally {
    running--;
    queue.shift()?.();
  }
}

/** The tester CLI run to its end from the repository root, a few at a time. */
export function runTester(args: string[], options: Omit<TesterRunOptions, 'main' | 'cwd'> = {}): Promise<TesterRun> {
  return slot(() => runTesterProcess(args, { ...options, cwd: ROOT }));
}

/**
 * Store settings that give the servers a tester starts (compare's, --server) a PostgreSQL database and
 * Hazelcast structures of their own: other test files increment the default ones at the same time, and
 * a shared counter would count their increments too.
 */
export function ownCounters(name: string): Record<string, string> {
  const hazelcastName = `counters-test-${name.replace(/_/g, '-')}`;
  return {
    POSTGRES_DB: `counters_test_${name}`,
    HZ_MAP_NAME: hazelcastName,
    HZ_ATOMIC_LONG_NAME: hazelcastName,
    HZ_PN_COUNTER_NAME: hazelcastName,
    HZ_FENCED_LOCK_NAME: `${hazelcastName}-lock`,
  };
}

/** Non-empty stderr lines. */
/**
 * A run's verdict and the threads its report names (`--json`), asserted to pass: the native
 * engines report their loop thread, the JS ones none.
 */
export async function runThreads(
  t: ExecutionContext,
  args: string[],
  env: Record<string, string>,
): Promise<{ verdict: string; threads: string[] }> {
  const run = await runTester([...args, '--json'], { env, timeoutMs: 60_000 });
  t.is(run.code, 0, describeRun(run));
  const result = parseJsonOutput<{ verdict: string; resources: { threads: { name: string }[] } }>(run);
  return { verdict: result.verdict, threads: result.resources.threads.map((thread) => thread.name) };
}

export function stderrLines(run: TesterRun): string[] {
  return run.stderr.split('\n').filter((line) => line.trim());
}

/** A human-readable summary of a run, for assertion messages. */
export function describeRun(run: TesterRun): string {
  return (
    `exit ${run.code} (signal ${run.signal}) after ${run.elapsedMs} ms\n` +
    `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`
  );
}

export type FaultyMode = 'ok' | 'lose' | 'stale' | 'duplicate' | 'unavailable' | 'error' | 'reset' | 'hang' | 'slow';

export type FaultyServer = LaunchedServer;

/** Starts test/fixtures/faulty-server.ts (on `where.host`, under `where.prefix`) and resolves once it listens. */
export function startFaultyServer(
  mode: FaultyMode,
  port: number,
  every?: number,
  where: { host: string; prefix?: string[] } = { host: '127.0.0.1' },
): Promise<FaultyServer> {
  const args = ['--mode', mode, '--port', String(port), ...(every === undefined ? [] : ['--every', String(every)])];
  return launchServer({ ...where, port, env: {}, script: FAULTY_SERVER_MAIN, args });
}

/** What the reference's result block reports. */
export interface ReferenceBlockValues {
  clientCount: number;
  /** A number of calls, or the run's duration as "N s" for --duration runs. */
  callsPerClient: string;
  totalCalls: number;
  totalTimeS: number;
  rps: number;
  /** A number, or the text shown when the count could not be read. */
  finalCount: string;
}

/**
 * The reference's block, one pattern per line, spaces counted by hand: every value starts
 * at column 30 (labels padded to 29 characters). Rulers are exactly 60 "=".
 */
const REFERENCE_BLOCK: RegExp[] = [
  /^={60}$/,
  /^PERFORMANCE TEST RESULTS$/,
  /^={60}$/,
  /^Number of clients: {11}(\d+)$/,
  /^Calls per client: {12}(\d+|\d+(?:\.\d+)? s)$/,
  /^Total calls made: {12}(\d+)$/,
  /^Total time \(seconds\): {8}(\d+\.\d{2})$/,
  /^Requests per second \(RPS\): {3}(\d+\.\d{2})$/,
  /^Final count: {17}(\S.*)$/,
  /^={60}$/,
];

/**
 * Checks that stdout starts with the reference's result block, byte for byte, and returns
 * its values. Throws naming the first line that does not match.
 */
export function matchReferenceBlock(stdout: string): ReferenceBlockValues {
  const lines = stdout.split('\n');
  const captured = REFERENCE_BLOCK.map((pattern, i) => {
    const match = pattern.exec(lines[i] ?? '');
    if (!match)
      throw new Error(`result line ${i + 1} ${JSON.stringify(lines[i])} does not match ${pattern}\n${stdout}`);
    return match[1];
  });
  return {
    clientCount: Number(captured[3]),
    callsPerClient: captured[4],
    totalCalls: Number(captured[5]),
    totalTimeS: Number(captured[6]),
    rps: Number(captured[7]),
    finalCount: captured[8],
  };
}
