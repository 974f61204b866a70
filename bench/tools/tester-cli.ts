/**
 * Our tester, run the way users run it: `node dist/tester/main.js <backend> ... --json` in its
 * own process (so its memory is its own and the bench's JIT state does not help it).
 */
import path from 'node:path';
import { parseJsonOutput, runTesterProcess } from '../../tester/harness/tester-process.js';
import type { LatencySummary, LoadResult } from '../../tester/load/load-result.js';
import type { LatencyPair, Measured, OpenLoopFigures } from '../measurement.js';

/** What an open-loop run may add to --json (newer testers do); read only when present. */
interface OpenLoopJson {
  uncorrectedLatency?: LatencySummary;
  pacerLag?: LatencySummary;
  rateHeld?: boolean;
}

const pair = (summary: LatencySummary | undefined): LatencyPair | undefined =>
  summary && { p50Us: summary.p50Us, p99Us: summary.p99Us };

function openLoopFigures(result: OpenLoopJson): OpenLoopFigures {
  const figures: OpenLoopFigures = {};
  const uncorrected = pair(result.uncorrectedLatency);
  const pacerLag = pair(result.pacerLag);
  if (uncorrected) figures.uncorrected = uncorrected;
  if (pacerLag) figures.pacerLag = pacerLag;
  if (typeof result.rateHeld === 'boolean') figures.rateHeld = result.rateHeld;
  return figures;
}

export const TESTER_WARMUP_MS = 300;

export async function runTester(
  root: string,
  args: string[],
  clients: number,
  durationS: number,
  env: Record<string, string> = {},
): Promise<Measured> {
  const load = [
    '--n-clients',
    String(clients),
    '--duration',
    `${durationS}s`,
    '--warmup',
    `${TESTER_WARMUP_MS}ms`,
    '--json',
  ];
  const main = path.join(root, 'dist/tester/main.js');
  const run = await runTesterProcess([...args, ...load], { main, env, timeoutMs: (durationS + 120) * 1000 });
  // Exit code 1 is a failed check: the result is still printed, and it is what we report.
  if (run.code !== 0 && run.code !== 1) {
    const said = run.stderr.trim().split('\n').pop() ?? '';
    throw new Error(`tester failed: exit ${run.code ?? run.signal} ${said}`.trim());
  }
  const result = parseJsonOutput<LoadResult & OpenLoopJson>(run);
  const errorCount = Object.values(result.errors).reduce((sum, n) => sum + (n ?? 0), 0);
  const { rps, passed, verdict, peakRssMb, promisesExact } = result;
  const { p50Us, p99Us } = result.latency;
  // Each call is one attempt plus one per retry (optimistic concurrency control's lost races).
  const attemptRps = (result.totalCalls + result.retryCount) / result.totalTimeS;
  const measured: Measured = { rps, attemptRps, p50Us, p99Us, errorCount, passed, verdict, peakRssMb, promisesExact };
  return result.ratePerSecond ? { ...measured, openLoop: openLoopFigures(result) } : measured;
}
