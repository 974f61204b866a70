/**
 * Our tester, run the way users run it: `node dist/tester/main.js <backend> ... --json` in its
 * own process (so its memory is its own and the bench's JIT state does not help it).
 */
import path from 'node:path';
import { parseJsonOutput, runTesterProcess } from '../../tester/harness/tester-process.js';
import type { LoadResult } from '../../tester/load/run-load.js';
import type { Measured } from '../measurement.js';

export const TESTER_WARMUP_MS = 300;

export async function runTester(root: string, args: string[], clients: number, durationS: number): Promise<Measured> {
  const load = ['--n-clients', String(clients), '--duration', `${durationS}s`, '--warmup', `${TESTER_WARMUP_MS}ms`, '--json'];
  const main = path.join(root, 'dist/tester/main.js');
  const run = await runTesterProcess([...args, ...load], { main, timeoutMs: (durationS + 120) * 1000 });
  // Exit code 1 is a failed check: the result is still printed, and it is what we report.
  if (run.code !== 0 && run.code !== 1) {
    const said = run.stderr.trim().split('\n').pop() ?? '';
    throw new Error(`tester failed: exit ${run.code ?? run.signal} ${said}`.trim());
  }
  const result = parseJsonOutput<LoadResult>(run);
  const errorCount = Object.values(result.errors).reduce((sum, n) => sum + (n ?? 0), 0);
  const { rps, passed, verdict, peakRssMb, promisesExact } = result;
  return { rps, p99Us: result.latency.p99Us, errorCount, passed, verdict, peakRssMb, promisesExact };
}
