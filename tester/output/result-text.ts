import type { LoadResult } from '../load/load-result.js';

const RULER = '='.repeat(60);

function row(label: string, value: string | number): string {
  return `${label.padEnd(29)}${value}`;
}

/** The reference's result block, byte for byte. */
export function referenceBlock(result: LoadResult): string {
  return [
    RULER,
    'PERFORMANCE TEST RESULTS',
    RULER,
    row('Number of clients:', result.clientCount),
    row('Calls per client:', result.callsPerClient ?? `${(result.durationMs ?? 0) / 1000} s`),
    row('Total calls made:', result.totalCalls),
    row('Total time (seconds):', result.totalTimeS.toFixed(2)),
    row('Requests per second (RPS):', result.rps.toFixed(2)),
    row('Final count:', result.finalCount ?? 'unknown (could not read the counter)'),
    RULER,
  ].join('\n');
}

/** Our additions: latency, errors, retries and the correctness verdict. */
export function extraBlock(result: LoadResult): string {
  const { latency } = result;
  const errors = Object.entries(result.errors)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
  const lines = [
    row('Counter:', result.counter),
    row('Latency p50 (us):', latency.p50Us),
    row('Latency p90 (us):', latency.p90Us),
    row('Latency p99 (us):', latency.p99Us),
    row('Latency p99.9 (us):', latency.p999Us),
    row('Latency max (us):', latency.maxUs),
    ...openLoopLines(result),
    row('Errors:', errors || 'none'),
    ...Object.entries(result.errorExamples).map(([kind, message]) => row(`  first ${kind}:`, message)),
    row('Retries:', result.retryCount),
    row('Peak memory (MB):', result.peakRssMb),
    ...verdictLines(result),
    RULER,
  ];
  return lines.join('\n');
}

/** --rate only: latency from the send and the pacer's lag, which the corrected latency includes. */
function openLoopLines(result: LoadResult): string[] {
  const { uncorrectedLatency: sent, pacerLag: lag } = result;
  if (!sent || !lag) return [];
  return [
    row('Uncorrected p50/p99 (us):', `${sent.p50Us} / ${sent.p99Us} (from the send, not the due time)`),
    row('Pacer lag p50/p99 (us):', `${lag.p50Us} / ${lag.p99Us} (max ${lag.maxUs})`),
    row('Rate sent (req/s):', `${result.sentRate} of ${result.ratePerSecond}${result.rateHeld ? '' : ' (not held)'}`),
  ];
}

/** Asked for a rate the run did not hold: one line saying what it sent instead. */
export function rateWarning(result: LoadResult): string | undefined {
  if (result.rateHeld !== false) return undefined;
  return (
    `tester: warning: --rate ${result.ratePerSecond} not held: the calls went out at ${result.sentRate} req/s ` +
    `(pacer lag p99 ${result.pacerLag?.p99Us} us); the server's queue or this machine's CPU set the pace\n`
  );
}

/** The verdict, then the operations that prove a failure, one per line. */
export function verdictLines(result: Pick<LoadResult, 'passed' | 'verdict' | 'witnesses'>): string[] {
  const { passed, verdict, witnesses } = result;
  return [row('Verdict:', `${passed ? 'PASS' : 'FAIL'}: ${verdict}`), ...witnesses.map((line) => row('', `  ${line}`))];
}
