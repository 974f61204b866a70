/**
 * wrk as an external load generator: found on PATH, installed with apt-get when we are root
 * and it is missing, otherwise reported as not measured (never silently skipped).
 */
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface WrkResult {
  /** wrk's own "Requests/sec:" figure. */
  rps: number;
  requests: number;
  p50Us: number;
  p99Us: number;
  /** Connect/read/write/timeout errors and non-2xx answers, summed over the run. */
  errorCount: number;
}

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
    'WRK_JSON {"requests":%d,"p50Us":%d,"p99Us":%d,"errors":%d}\\n',
    summary.requests, latency:percentile(50), latency:percentile(99),
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

function wrkVersion(): string | undefined {
  try {
    // wrk -v prints its version and then usage, and exits 1.
    execFileSync('wrk', ['-v'], { stdio: 'pipe' });
  } catch (err) {
    const out = String((err as { stdout?: Buffer }).stdout ?? '');
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    return out.split('\n')[0].trim() || 'wrk (version unknown)';
  }
  return 'wrk (version unknown)';
}

/** The wrk version line, or why wrk cannot be used (as "not measured (...)" text). */
export function ensureWrk(log: (line: string) => void): { version: string } | { missing: string } {
  const found = wrkVersion();
  if (found) return { version: found };
  const isRoot = process.getuid?.() === 0;
  const hasApt = fs.existsSync('/usr/bin/apt-get');
  if (!isRoot || !hasApt) return { missing: 'install wrk' };
  log('wrk is missing: apt-get install -y wrk');
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    try {
      execFileSync('apt-get', ['install', '-y', '-qq', 'wrk'], { stdio: 'ignore', env });
    } catch {
      // A fresh container has no package lists yet.
      execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env });
      execFileSync('apt-get', ['install', '-y', '-qq', 'wrk'], { stdio: 'ignore', env });
    }
  } catch {
    return { missing: 'install wrk: apt-get install failed' };
  }
  const installed = wrkVersion();
  return installed ? { version: installed } : { missing: 'install wrk' };
}

/** One wrk run against POST /inc. wrk takes whole seconds. */
export function runWrk(options: { url: string; threads: number; connections: number; durationS: number }): Promise<WrkResult> {
  const args = [
    `-t${options.threads}`,
    `-c${options.connections}`,
    `-d${Math.max(1, Math.round(options.durationS))}s`,
    '-s',
    luaScript(),
    options.url,
  ];
  return new Promise((resolve, reject) => {
    execFile('wrk', args, { timeout: (options.durationS + 30) * 1000 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`wrk ${args.join(' ')} failed: ${err.message.trim()} ${stderr.trim()}`));
        return;
      }
      try {
        resolve(parseWrk(stdout));
      } catch (parseErr) {
        reject(new Error(`${(parseErr as Error).message}; wrk printed:\n${stdout}`));
      }
    });
  });
}

export function parseWrk(stdout: string): WrkResult {
  const rpsMatch = /^Requests\/sec:\s+([\d.]+)/m.exec(stdout);
  const jsonMatch = /^WRK_JSON (\{.*\})$/m.exec(stdout);
  if (!rpsMatch || !jsonMatch) throw new Error('wrk output has no Requests/sec line or no WRK_JSON line');
  const summary = JSON.parse(jsonMatch[1]) as { requests: number; p50Us: number; p99Us: number; errors: number };
  return { rps: Number(rpsMatch[1]), requests: summary.requests, p50Us: summary.p50Us, p99Us: summary.p99Us, errorCount: summary.errors };
}
