/** autocannon (a devDependency), run as its own process like wrk, against POST /inc. */
import { createRequire } from 'node:module';
import os from 'node:os';
import type { Measured } from '../measurement.js';
import { type Candidate, threadCounts } from './best-setting.js';
import { commandOutput } from '../../tester/harness/run-command.js';
import type { Availability } from './external-tool.js';

const require = createRequire(import.meta.url);

function cliPath(): string {
  return require.resolve('autocannon/autocannon.js');
}

export function autocannonVersion(): Availability {
  try {
    cliPath();
    return { version: `autocannon ${(require('autocannon/package.json') as { version: string }).version}` };
  } catch {
    return { missing: 'autocannon is not installed: run npm install (it is a devDependency)' };
  }
}

interface AutocannonJson {
  requests: { average: number };
  latency: { p99: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}

/**
 * autocannon on its main thread, and with `-w N` worker threads (it splits the connections over
 * them, so N is at most the connection count); the bench keeps the faster.
 */
export function autocannonCandidates(url: string, connections: number, durationS: number): Candidate[] {
  const workerCounts = [0, ...threadCounts(connections, os.cpus().length).filter((n) => n > 1)];
  return workerCounts.map((workers) => ({
    setting: workers ? `-w ${workers}` : 'main thread',
    run: () => runAutocannon(url, connections, durationS, workers),
  }));
}

export async function runAutocannon(
  url: string,
  connections: number,
  durationS: number,
  workers: number,
): Promise<Measured> {
  const args = [
    cliPath(),
    ...(workers ? ['-w', String(workers)] : []),
    '-c',
    String(connections),
    '-d',
    String(Math.max(1, Math.round(durationS))),
    '-m',
    'POST',
    '-j',
    url,
  ];
  const stdout = await commandOutput(process.execPath, args, { timeoutMs: (durationS + 30) * 1000 });
  const result = JSON.parse(stdout.trim().split('\n').pop()!) as AutocannonJson;
  // autocannon records latency in whole milliseconds: a p99 under 1 ms reads 0, which says nothing.
  const p99Us = result.latency.p99 > 0 ? Math.round(result.latency.p99 * 1000) : undefined;
  return { rps: result.requests.average, p99Us, errorCount: result.errors + result.timeouts + result.non2xx };
}
