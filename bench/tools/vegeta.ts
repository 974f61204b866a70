/**
 * vegeta (github.com/tsenart/vegeta), the open-loop reference: a fixed rate of POST /inc from
 * a fixed pool of workers on keep-alive connections, its latency percentiles read from
 * `vegeta report -type json`. Built with `go install` into .services/bin when missing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Measured } from '../measurement.js';
import { commandOutput } from '../../tester/harness/run-command.js';
import { ensureGoTool, type LocatedTool } from './external-tool.js';

const MODULE = 'github.com/tsenart/vegeta/v12';
const VERSION = 'v12.13.0';
/** vegeta counts the rate as held when it sent at least this share of the asked rate. */
const HELD_SHARE = 0.95;

export const ensureVegeta = (root: string, log: (line: string) => void): LocatedTool =>
  ensureGoTool('vegeta', MODULE, VERSION, path.join(root, '.services/bin'), log);

interface VegetaReport {
  latencies: { '50th': number; '99th': number };
  requests: number;
  rate: number;
  throughput: number;
  success: number;
}

/** `workers` keep-alive workers, no more (-max-workers): like for like with as many tester clients. */
export async function runVegeta(
  command: string,
  url: string,
  ratePerSecond: number,
  workers: number,
  durationS: number,
): Promise<Measured> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'counters-bench-vegeta-'));
  try {
    const targets = path.join(dir, 'targets.txt');
    const results = path.join(dir, 'results.bin');
    fs.writeFileSync(targets, `POST ${url}\n`);
    const attack = [
      'attack',
      `-targets=${targets}`,
      `-rate=${ratePerSecond}/s`,
      `-duration=${Math.max(1, Math.round(durationS))}s`,
      `-workers=${workers}`,
      `-max-workers=${workers}`,
      '-keepalive=true',
      `-output=${results}`,
    ];
    await commandOutput(command, attack, { timeoutMs: (durationS + 60) * 1000 });
    const report = JSON.parse(await commandOutput(command, ['report', '-type=json', results], { timeoutMs: 60_000 }));
    return fromReport(report as VegetaReport, ratePerSecond);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function fromReport(report: VegetaReport, ratePerSecond: number): Measured {
  return {
    rps: report.throughput,
    p50Us: Math.round(report.latencies['50th'] / 1000),
    p99Us: Math.round(report.latencies['99th'] / 1000),
    errorCount: report.requests - Math.round(report.success * report.requests),
    openLoop: { rateHeld: report.rate >= HELD_SHARE * ratePerSecond },
  };
}
