/**
 * Redis INCR through redis-benchmark (Debian package `redis-server`): a private redis-server on
 * a free port, without persistence, the usual in-memory reference for a counter service.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import { freePort } from '../../tester/harness/free-port.js';
import type { Measured } from '../measurement.js';
import { type Candidate, threadCounts } from './best-setting.js';
import { commandOutput } from '../../tester/harness/run-command.js';
import { waitUntil } from '../../tester/harness/wait-until.js';

const HOST = '127.0.0.1';

export interface RedisServer {
  port: number;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
  const port = await freePort(HOST);
  const child = spawn('redis-server', ['--bind', HOST, '--port', String(port), '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let spawnError: Error | undefined;
  child.once('error', (err) => (spawnError = err));
  try {
    await waitForPort(port, child, () => spawnError);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    port,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Until redis-server accepts connections (10 s at most), or it failed to start. */
async function waitForPort(port: number, child: ChildProcess, spawnError: () => Error | undefined): Promise<void> {
  const failure = () =>
    spawnError() ?? (child.exitCode !== null ? new Error(`redis-server exited with ${child.exitCode}`) : undefined);
  const accepts = () =>
    new Promise<boolean>((resolve) => {
      const socket = net.connect(port, HOST, () => resolve(true)).once('error', () => resolve(false));
      socket.once('connect', () => socket.destroy());
    });
  const settled = await waitUntil(async () => failure() !== undefined || (await accepts()), 10_000, 100);
  const failed = failure();
  if (failed) throw failed;
  if (!settled) throw new Error('redis-server did not listen within 10 s');
}

/** Requests per connection per second we plan for: redis-benchmark counts requests, not seconds. */
const PLANNED_RPS_PER_CONNECTION = 25_000;

/** redis-benchmark with 1 up to one thread per core (its --threads), unpipelined as our loaders are. */
export function redisCandidates(port: number, connections: number, durationS: number): Candidate[] {
  return threadCounts(connections, os.cpus().length).map((threads) => ({
    setting: `--threads ${threads}`,
    run: () => runRedisBenchmark(port, connections, durationS, threads),
  }));
}

async function runRedisBenchmark(
  port: number,
  connections: number,
  durationS: number,
  threads: number,
): Promise<Measured> {
  const requests = Math.round(PLANNED_RPS_PER_CONNECTION * Math.min(connections, 4) * durationS);
  const args = [
    '-h',
    HOST,
    '-p',
    String(port),
    '-c',
    String(connections),
    '-n',
    String(requests),
    '--threads',
    String(threads),
    '-t',
    'incr',
    '--csv',
  ];
  const stdout = await commandOutput('redis-benchmark', args, { timeoutMs: (durationS * 10 + 30) * 1000 });
  // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
  const line = stdout.split('\n').find((l) => l.startsWith('"INCR"'));
  if (!line) throw new Error(`redis-benchmark printed no INCR line: ${stdout.trim().split('\n').pop()}`);
  const fields = line.split(',').map((f) => Number(f.replace(/"/g, '')));
  return { rps: fields[1], p99Us: Math.round(fields[6] * 1000), errorCount: 0 };
}
