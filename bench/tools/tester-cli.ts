/**
 * Our tester, run the way users run it: `node dist/tester/main.js <backend> ... --json` in its
 * own process (so its memory is its own and the bench's JIT state does not help it).
 */
import path from 'node:path';
import type { LoadResult } from '../../tester/load/run-load.js';
import type { Measured } from '../measurement.js';
import { runTool } from './external-tool.js';

export const TESTER_WARMUP_MS = 300;

export async function runTester(root: string, args: string[], clients: number, durationS: number): Promise<Measured> {
  const cli = path.join(root, 'dist/tester/main.js');
  const all = [
    cli,
    ...args,
    '--n-clients',
    String(clients),
    '--duration',
    `${durationS}s`,
    '--warmup',
    `${TESTER_WARMUP_MS}ms`,
    '--json',
  ];
  let stdout: string;
  try {
    stdout = await runTool(process.execPath, all, { timeoutMs: (durationS + 120) * 1000 });
  } catch (err) {
    // Exit code 1 is a failed check: the result is still printed, and it is what we report.
    const out = (err as { stdout?: string }).stdout;
    if (!out?.includes('"verdict"')) throw err;
    stdout = out;
  }
  const result = JSON.parse(stdout.trim().split('\n').pop()!) as LoadResult;
  const errorCount = Object.values(result.errors).reduce((sum, n) => sum + (n ?? 0), 0);
  return {
    rps: result.rps,
    p99Us: result.latency.p99Us,
    errorCount,
    passed: result.passed,
    verdict: result.verdict,
    peakRssMb: result.peakRssMb,
    promisesExact: result.promisesExact,
  };
}
