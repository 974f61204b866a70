/** The service scripts (scripts/postgres.sh, scripts/hazelcast.sh) and a private Hazelcast cluster. */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { isAlive, killHard, run } from './processes.js';
import { ROOT } from './server-process.js';
import { waitUntil as waitFor } from '../../tester/harness/wait-until.js';

/** `bash scripts/postgres.sh <action>`, bounded. */
export function postgresScript(
  action: 'start' | 'stop' | 'status',
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return run('bash', ['scripts/postgres.sh', action], 90_000);
}

/** `bash scripts/hazelcast.sh <action>`, bounded. */
export function hazelcastScript(
  action: 'start' | 'stop' | 'status' | 'restart',
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return run('bash', ['scripts/hazelcast.sh', action], 180_000);
}

/**
 * `scripts/hazelcast.sh restart` until it succeeds (at most `attempts` times). Under load the
 * script can declare a member it has just forked "exited during startup" and drop its pid file
 * while the member runs on; the next attempt would then find its port taken. Such a member,
 * started by the failed attempt, is stopped by its pid before trying again.
 */
export async function restartHazelcast(attempts = 3): Promise<{ ok: boolean; log: string[] }> {
  const log: string[] = [];
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const began = Date.now();
    const result = await hazelcastScript('restart');
    log.push(
      `restart attempt ${attempt}: exit ${result.code} after ${Date.now() - began} ms` +
        (result.code === 0 ? '' : `: ${result.stderr.trim()}`),
    );
    if (result.code === 0) return { ok: true, log };
    for (const n of [1, 2, 3]) {
      if (hazelcastMemberPid(n) !== undefined) continue;
      const { stdout } = await run('pgrep', ['-f', '--', `-Dhz.network.port.port=${5700 + n} `], 5000);
      for (const pid of stdout
        .split('\n')
        .map(Number)
        .filter((p) => p > 0)) {
        let cmdline = '';
        try {
          cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        } catch {
          continue;
        }
        if (
          !cmdline.includes('HazelcastMemberStarter') ||
          !cmdline.includes(path.join(ROOT, 'docker/hazelcast-cp.yaml'))
        )
          continue;
        log.push(`stopping member ${n} (pid ${pid}) that the script lost track of`);
        process.kill(pid, 'SIGTERM');
        if (!(await waitFor(() => !isAlive(pid), 15_000))) process.kill(pid, 'SIGKILL');
      }
    }
  }
  return { ok: false, log };
}

/** The pid of Hazelcast member `n` (1-3) that scripts/hazelcast.sh started, when it runs. */
export function hazelcastMemberPid(n: number): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(ROOT, '.hazelcast/run', `member-${n}.pid`), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A 3-member CP cluster of the test's own (the project's member config, another name and other
 * ports), started from the jar scripts/hazelcast.sh cached: a test may take all of it down
 * without touching the shared cluster on 5701-5703.
 */
export class PrivateHazelcastCluster {
  private readonly members: Array<ChildProcess | undefined> = [];
  private readonly logs: string[] = [];

  constructor(
    readonly clusterName: string,
    readonly ports: number[],
    private readonly dir: string,
  ) {}

  /** HZ_* for a server or counter using this cluster. */
  get env(): Record<string, string> {
    return {
      HZ_CLUSTER_NAME: this.clusterName,
      HZ_CLUSTER_MEMBERS: this.ports.map((port) => `127.0.0.1:${port}`).join(','),
    };
  }

  /** Starts every member and resolves once their CP Subsystem has formed (at most `timeoutMs`). */
  async start(timeoutMs = 120_000): Promise<void> {
    const jar = path.join(ROOT, '.hazelcast/lib/hazelcast-5.4.0.jar');
    if (!fs.existsSync(jar))
      throw new Error(`${jar} is missing: run scripts/hazelcast.sh start first (it caches the jar)`);
    const config = parseYaml(fs.readFileSync(path.join(ROOT, 'docker/hazelcast-cp.yaml'), 'utf8'));
    config.hazelcast['cluster-name'] = this.clusterName;
    config.hazelcast.network.join['tcp-ip']['member-list'] = this.ports.map((port) => `127.0.0.1:${port}`);
    this.ports.forEach((port, i) => {
      config.hazelcast.network.port = { port, 'auto-increment': false };
      const file = path.join(this.dir, `member-${i + 1}.yaml`);
      fs.writeFileSync(file, stringifyYaml(config));
      this.logs[i] = '';
      const child = spawn(
        'java',
        [
          '-Xms64m',
          '-Xmx192m',
          '-XX:+UseSerialGC',
          '-XX:TieredStopAtLevel=1',
          '-Djava.net.preferIPv4Stack=true',
          `-Dhazelcast.config=${file}`,
          '-Dhazelcast.socket.bind.any=false',
          '-cp',
          jar,
          'com.hazelcast.core.server.HazelcastMemberStarter',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child.stdout!.on('data', (chunk: Buffer) => (this.logs[i] += chunk.toString()));
      child.stderr!.on('data', (chunk: Buffer) => (this.logs[i] += chunk.toString()));
      this.members[i] = child;
    });
    process.once('exit', () => this.members.forEach((child) => child?.kill('SIGKILL')));
    const formed = await waitFor(
      () => this.logs.some((log) => log.includes('CP Subsystem is initialized')),
      timeoutMs,
      250,
    );
    if (!formed)
      throw new Error(
        `the private Hazelcast cluster did not form within ${timeoutMs / 1000} s:\n${this.logs.join('\n')}`,
      );
  }

  /** kill -9 of every member: the whole cluster is gone at once. */
  async killAll(): Promise<void> {
    const pids = this.members.map((child) => child?.pid).filter((pid): pid is number => pid !== undefined);
    await killHard(pids);
    this.members.length = 0;
  }
}
