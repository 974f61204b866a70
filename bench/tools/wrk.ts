/** wrk (Debian package `wrk`) against POST /inc. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Measured } from '../measurement.js';
import { type Candidate, threadCounts } from './best-setting.js';
import { commandOutput } from '../../tester/harness/run-command.js';

/**
 * POST /inc with "Content-Length: 0": wrk.format adds that header from the body, so an empty
 * body is what produces it. done() prints the exact latency percentiles (microseconds) as
 * one JSON line, rather than parsing wrk's rounded "28.00us" text.
 */
const LUA = `
wrk.method = "POST"
wrk.body = ""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"p99Us":%d,"errors":%d}\\n',
    summary.requests, latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
`;

let scriptPath: string | undefined;

function luaScript(): string {
  if (!scriptPath) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'counters-bench-wrk-'));
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    scriptPath = path.join(dir, 'inc.lua');
    fs.writeFileSync(scriptPath, LUA);
  }
  return scriptPath;
}

/** One wrk run with `threads` threads (at most `connections`). wrk takes whole seconds. */
export async function runWrk(url: string, connections: number, durationS: number, threads: number): Promise<Measured> {
  const args = [`-t${threads}`, `-c${connections}`, `-d${Math.max(1, Math.round(durationS))}s`, '-s', luaScript(), url];
  return parseWrk(await commandOutput('wrk', args, { timeoutMs: (durationS + 30) * 1000 }));
}

export const wrkSetting = (threads: number) => `-t${threads}`;
export const wrkThreadsOf = (setting: string) => Number(/^-t(\d+)/.exec(setting)?.[1] ?? 1);

/**
 * wrk with 1 up to one thread per core: on a host where the server shares the cores, fewer
 * threads than cores often wins, so the bench tries each rather than assume.
 */
export function wrkCandidates(url: string, connections: number, durationS: number): Candidate[] {
  return threadCounts(connections, os.cpus().length).map((threads) => ({
    setting: wrkSetting(threads),
    run: () => runWrk(url, connections, durationS, threads),
  }));
}

export function parseWrk(stdout: string): Measured {
  const rpsMatch = /^Requests\/sec:\s+([\d.]+)/m.exec(stdout);
  const jsonMatch = /^WRK_JSON (\{.*\})$/m.exec(stdout);
  if (!rpsMatch || !jsonMatch)
    throw new Error(`wrk printed no Requests/sec or WRK_JSON line: ${stdout.trim().split('\n').pop()}`);
  const summary = JSON.parse(jsonMatch[1]) as { p99Us: number; errors: number };
  return { rps: Number(rpsMatch[1]), p99Us: summary.p99Us, errorCount: summary.errors };
}
