import type { ShownResult } from '../load/load-result.js';
import { hostText, speedCaution, threadsText } from '../load/run-resources.js';
import { changeText } from '../compare/against.js';
import { limitText, rangeText, summaryText } from '../compare/round-figures.js';

export const RULER = '='.repeat(60);

/** Starts the line that says the loader or the host, not the server, may have set the speed. */
export const CAUTION_LABEL = 'Caution:';

/** A label padded to column 29, as the reference pads its own; a longer one (a file name) keeps a space. */
export function row(label: string, value: string | number): string {
  return `${label.length < 29 ? label.padEnd(29) : `${label} `}${value}`;
}

/** The reference's result block, byte for byte. */
export function referenceBlock(result: ShownResult): string {
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
export function extraBlock(result: ShownResult): string {
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
    row('Tester CPU:', threadsText(result.resources)),
    row('Host CPU:', hostText(result.resources)),
    ...cautionLines(result),
    ...verdictLines(result),
    RULER,
  ];
  return lines.join('\n');
}

/** --rate only: latency from the send and the pacer's lag, which the corrected latency includes. */
function openLoopLines(result: ShownResult): string[] {
  const { uncorrectedLatency: sent, pacerLag: lag } = result;
  if (!sent || !lag) return [];
  return [
    row('Uncorrected p50/p99 (us):', `${sent.p50Us} / ${sent.p99Us} (from the send, not the due time)`),
    row('Pacer lag p50/p99 (us):', `${lag.p50Us} / ${lag.p99Us} (max ${lag.maxUs})`),
    row('Rate sent (req/s):', `${result.sentRate} of ${result.ratePerSecond}${result.rateHeld ? '' : ' (not held)'}`),
  ];
}

/** Asked for a rate the run did not hold: one line saying what it sent instead. */
export function rateWarning(result: ShownResult): string | undefined {
  if (result.rateHeld !== false) return undefined;
  return (
    `tester: warning: --rate ${result.ratePerSecond} not held: the calls went out at ${result.sentRate} req/s ` +
    `(pacer lag p99 ${result.pacerLag?.p99Us} us); the server's queue or this machine's CPU set the pace\n`
  );
}

/** Said only when the loader or the host may have set the speed (run-resources.ts). */
function cautionLines(result: ShownResult): string[] {
  const caution = speedCaution(result.resources);
  return caution ? [row(CAUTION_LABEL, caution)] : [];
}

/** The verdict, then the operations that prove a failure, one per line. */
export function verdictLines(result: Pick<ShownResult, 'passed' | 'verdict' | 'witnesses'>): string[] {
  const { passed, verdict, witnesses } = result;
  return [row('Verdict:', `${passed ? 'PASS' : 'FAIL'}: ${verdict}`), ...witnesses.map((line) => row('', `  ${line}`))];
}

/**
 * --rounds and --against: the rounds' medians with their intervals and spread, and the change
 * from the saved run; '' for a single run compared with nothing.
 */
export function roundsBlock(result: ShownResult): string {
  const { rounds, against } = result;
  const lines: string[] = [];
  if (rounds) {
    const limited = limitText(rounds);
    lines.push(
      row('Rounds:', `${rounds.count} (the blocks above show the first that failed, else the nearest the median RPS)`),
      row('RPS median [95% CI]:', `${summaryText(rounds.rps)}, min-max ${rangeText(rounds.rps)}`),
      row('p99 (us) median [95% CI]:', `${summaryText(rounds.p99Us)}, min-max ${rangeText(rounds.p99Us)}`),
      ...(limited ? [row('Loader or host limited:', `${limited} rounds`)] : []),
    );
  }
  if (against) lines.push(row(`Against ${against.file}:`, changeText(against, against.maxRegression)));
  return lines.length ? [...lines, RULER].join('\n') + '\n' : '';
}
