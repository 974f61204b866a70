/**
 * pgbench (Debian package `postgresql-client`) running the very SQL of a tester method (custom
 * scripts from pgbenchScript) with the same number of clients, one connection each.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PostgresConfig } from '../../backends/postgresql/connection.js';
import type { Measured } from '../measurement.js';
import { type Candidate, threadCounts } from './best-setting.js';
import { commandOutput } from '../../tester/harness/run-command.js';

/**
 * Writes a custom script into `dir` (bench/pgbench/, committed with the results): generated from
 * the tester's own SQL on every run, it cannot drift from it, and readers see what pgbench ran.
 */
export function pgbenchScriptFile(dir: string, name: string, text: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.sql`);
  fs.writeFileSync(file, text);
  return file;
}

/** pgbench with `-j` from 1 up to one thread per core (at most one per client). */
export function pgbenchCandidates(
  config: PostgresConfig,
  scriptFile: string,
  clients: number,
  durationS: number,
): Candidate[] {
  return threadCounts(clients, os.cpus().length).map((threads) => ({
    setting: pgbenchSetting(threads),
    run: () => runPgbench(config, scriptFile, clients, durationS, threads),
  }));
}

/** Tries of a transaction that failed with a serialization failure or deadlock, retried at once. */
export const PGBENCH_MAX_TRIES = 1000;

export const pgbenchSetting = (threads: number) => `-j ${threads}`;
export const pgbenchThreadsOf = (setting: string) => Number(/^-j (\d+)/.exec(setting)?.[1] ?? 1);

export async function runPgbench(
  config: PostgresConfig,
  scriptFile: string,
  clients: number,
  durationS: number,
  threads: number,
): Promise<Measured> {
  const args = [
    '-h',
    config.host,
    '-p',
    String(config.port),
    '-U',
    config.user,
    // -n: no vacuum of pgbench's own tables (we have none); prepared statements, as the tester uses.
    '-n',
    '-M',
    'prepared',
    '-c',
    String(clients),
    '-j',
    String(threads),
    '-T',
    String(Math.max(1, Math.round(durationS))),
    // Serialization failures are retried, as the tester's serializable_update with retries does.
    '--max-tries',
    String(PGBENCH_MAX_TRIES),
    '-f',
    scriptFile,
    config.database,
  ];
  const stdout = await commandOutput('pgbench', args, {
    timeoutMs: (durationS + 60) * 1000,
    env: { ...process.env, PGPASSWORD: config.password },
  });
  const tps = /^tps = ([\d.]+) \(without initial connection time\)/m.exec(stdout);
  if (!tps) throw new Error(`pgbench printed no tps line: ${stdout.trim().split('\n').pop()}`);
  const failed = /^number of failed transactions: (\d+)/m.exec(stdout);
  return { rps: Number(tps[1]), errorCount: Number(failed?.[1] ?? 0) };
}
