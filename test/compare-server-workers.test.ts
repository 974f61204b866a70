/**
 * README (Tester): `npx tester compare ... [--server-workers K]` runs our web server with K
 * workers. The comparison's files do not say how many workers served, so the test looks at the
 * servers themselves: whenever compare has started a new server, compare is paused (SIGSTOP: the
 * server cannot be stopped before it is counted), the server's workers and the processes
 * listening on its port are counted, and compare goes on (SIGCONT). Every store of the web suite
 * must have had exactly K. The web suite includes the Hazelcast store: run this file under
 * flock /tmp/counters-services.lock, as every test using the shared cluster.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { waitUntil } from '../tester/harness/wait-until.js';
import { WEB_STORES } from '../tester/compare/scenarios.js';
import { childPids, run, workerPids } from './helpers/processes.js';
import { ownCounters, TESTER_MAIN } from './helpers/run-tester.js';
import { requireServices } from './helpers/required-service.js';

// The tests needing a service: one that does not answer fails, COUNTERS_SKIP_*=1 skips (required-service.ts).
const services = await requireServices(['postgresql', 'hazelcast']);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'counters-compare-workers-'));
test.after.always(() => fs.rmSync(tmp, { recursive: true, force: true }));

const WORKERS = 3;

function isServerPrimary(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('dist/server/main.js');
  } catch {
    return false;
  }
}

function portOf(pid: number): number {
  const environ = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  return Number(environ.find((entry) => entry.startsWith('PORT='))?.slice(5));
}

/** Pids of the processes listening on a TCP port (each worker listens with SO_REUSEPORT). */
async function listenerPids(port: number): Promise<number[]> {
  const { stdout } = await run('ss', ['-Hltnp', `sport = :${port}`], 5000);
  return [...new Set([...stdout.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])))].sort((a, b) => a - b);
}

interface ServerSeen {
  port: number;
  workers: number[];
  listeners: number[];
}

/** Counts the workers of a server compare just started, while compare is paused. */
async function countWorkers(primary: number): Promise<ServerSeen> {
  const port = portOf(primary);
  let seen: ServerSeen = { port, workers: [], listeners: [] };
  // A server just forked is still starting its workers: wait until as many listen as it has.
  await waitUntil(async () => {
    const workers = await workerPids(primary);
    const listeners = await listenerPids(port);
    seen = { port, workers, listeners };
    return workers.length > 0 && listeners.length === workers.length;
  }, 30_000);
  return seen;
}

// WEB_STORES run a PostgreSQL and a Hazelcast server too.
services.need('postgresql', 'hazelcast').test(`compare --server-workers ${WORKERS} runs every web store's server with ${WORKERS} workers`, async (t) => {
  const args = ['compare', '--suite', 'web', '--clients', '1', '--calls', '200', '--server-workers', String(WORKERS)];
  // A paused tester's calls would otherwise time out against a server that is fine.
  const child = spawn(process.execPath, [TESTER_MAIN, ...args, '--timeout-ms', '120000', '--out', tmp], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...ownCounters('compare_workers') },
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  let over = false;
  void exited.then(() => (over = true));

  const servers = new Map<number, ServerSeen>();
  while (!over) {
    const primaries = (await childPids(child.pid!)).filter((pid) => !servers.has(pid) && isServerPrimary(pid));
    for (const primary of primaries) {
      child.kill('SIGSTOP');
      try {
        servers.set(primary, await countWorkers(primary));
      } finally {
        child.kill('SIGCONT');
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const code = await exited;
  t.log(output);
  t.is(code, 0, output);
  t.is(servers.size, WEB_STORES.length, `one server per store: ${JSON.stringify([...servers])}`);
  for (const [primary, seen] of servers) {
    t.is(seen.workers.length, WORKERS, `server ${primary} on port ${seen.port}: workers ${seen.workers}`);
    t.deepEqual(seen.listeners, seen.workers, `server ${primary}: its workers, and only they, listen`);
  }
});
