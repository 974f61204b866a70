/**
 * The Hazelcast reference: HazelcastMethodBench.java, compiled once with javac against the member
 * jar that scripts/hazelcast.sh downloads (it holds the Java client too), and run once per round
 * for all methods, so one JVM start and JIT warm-up serve them all.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { HazelcastConfig } from '../../backends/hazelcast/config.js';
import type { Measured } from '../measurement.js';
import { commandOutput } from '../../tester/harness/run-command.js';

export interface JavaClient {
  classPath: string;
}

/** Compiles the client, or says why it cannot be measured. */
export async function compileJavaClient(root: string): Promise<JavaClient | { missing: string }> {
  const jar = path.join(root, '.hazelcast/lib/hazelcast-5.4.0.jar');
  if (!fs.existsSync(jar)) return { missing: `${jar} is missing: run bash scripts/hazelcast.sh start` };
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'counters-bench-java-'));
  process.on('exit', () => fs.rmSync(out, { recursive: true, force: true }));
  try {
    await commandOutput('javac', ['-d', out, '-cp', jar, path.join(root, 'bench/hazelcast/HazelcastMethodBench.java')], {
      timeoutMs: 120_000,
    });
  } catch (err) {
    return { missing: `javac failed: ${(err as Error).message}` };
  }
  return { classPath: `${out}${path.delimiter}${jar}` };
}

/**
 * The client's own thread settings tried (its users stay one thread each, like for like): the
 * default, and one response thread instead of two, which on a host of 2 busy cores can be faster.
 */
export const JAVA_CLIENT_SETTINGS: ReadonlyArray<{ setting: string; properties: string[] }> = [
  { setting: 'default client threads', properties: [] },
  { setting: '1 response thread', properties: ['-Dhazelcast.client.response.thread.count=1'] },
];

/** Every method (`name` or `name:per-user`), `threads` users, each for durationS after its warm-up. */
export async function runJavaClient(
  client: JavaClient,
  properties: string[],
  config: HazelcastConfig,
  methods: string[],
  threads: number,
  durationS: number,
  warmupS: number,
): Promise<Map<string, Measured>> {
  const args = [
    '-Dhazelcast.logging.type=none',
    ...properties,
    '-cp',
    client.classPath,
    'HazelcastMethodBench',
    config.members.join(','),
    config.clusterName,
    config.mapName,
    config.counterKey,
    config.atomicLongName,
    config.pnCounterName,
    config.fencedLockName,
    String(threads),
    String(Math.round(durationS * 1000)),
    String(Math.round(warmupS * 1000)),
    methods.join(','),
  ];
  // Each method warms up twice: once in the JVM-wide pass, once just before its run.
  const timeoutMs = (methods.length * (durationS + 2 * warmupS) + 60) * 1000;
  const stdout = await commandOutput('java', args, { timeoutMs });
  const results = new Map<string, Measured>();
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('RESULT ')) continue;
    const r = JSON.parse(line.slice('RESULT '.length)) as {
      method: string;
      rps: number;
      p99Us: number;
      errors: number;
    };
    results.set(r.method, { rps: r.rps, p99Us: r.p99Us, errorCount: r.errors });
  }
  return results;
}
