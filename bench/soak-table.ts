/** The soak in words: its section of RESULTS.md (the plot, a table of the figures) and a one-line summary. */
import { formatInt, formatSlope } from './number-format.js';
import { SOAK_PLOT_FILE } from './soak-plot.js';
import { MIN_SLOPE_SAMPLES, serverMb, slopePassed, type SoakResult, type SoakSample } from './soak-result.js';

const fixed = (n: number) => Number(n.toFixed(1)).toString();

const mark = (passed: boolean | null): string => (passed === null ? 'not judged' : passed ? 'pass' : '**FAIL**');

function testerVerdict(result: SoakResult): string {
  const { tester } = result;
  if ('failed' in tester) return `no verdict: ${tester.failed}`;
  const errors = tester.errorCount ? `, ${formatInt(tester.errorCount)} errors` : '';
  // Its own peak includes the check after the load, which the samples stop before.
  const peak = tester.peakRssMb === undefined ? '' : `, peak RSS ${formatInt(tester.peakRssMb)} MB`;
  return `${formatInt(tester.rps)} req/s${errors}${peak}; ${tester.passed ? 'PASS' : 'FAIL'}: ${tester.verdict}`;
}

/** "tester +0.10 MB/min, server +0.02 MB/min after the first 60 s (limit 1 MB/min), verdict PASS: pass" */
export function soakLine(result: SoakResult): string {
  const verdict = 'failed' in result.tester ? 'no verdict' : result.tester.passed ? 'PASS' : 'FAIL';
  return (
    `tester ${formatSlope(result.testerMbPerMinute)}, server ${formatSlope(result.serverMbPerMinute)} after ` +
    `the first ${fixed(result.settleS)} s (limit ${result.limitMbPerMinute} MB/min), tester verdict ${verdict}: ` +
    mark(result.passed)
  );
}

export function soakTable(result: SoakResult | undefined): string[] {
  if (!result) return ['Not measured in this run.', ''];
  const settledCount = result.samples.filter((s) => s.atS >= result.settleS).length;
  const when = `${result.date.slice(0, 10)} ${result.date.slice(11, 16)} UTC`;
  const row = (what: string, mb: (s: SoakSample) => number, slope: number | null) => {
    const span = result.samples.length
      ? `${formatInt(mb(result.samples[0]))} → ${formatInt(mb(result.samples.at(-1)!))} MB`
      : 'no samples';
    const status = slope === null ? 'not judged' : mark(slopePassed(slope, result.limitMbPerMinute));
    return `| ${what} | ${span} | ${formatSlope(slope)} | ${result.limitMbPerMinute} MB/min | ${status} |`;
  };
  const verdictPassed = 'failed' in result.tester ? false : result.tester.passed;
  return [
    `![RSS of the tester and of the server during the soak](${SOAK_PLOT_FILE})`,
    '',
    `Run of ${when}: ${fixed(result.minutes)} minutes against ${result.server}, ${result.clients} clients; ` +
      `${result.samples.length} samples every ${fixed(result.sampleIntervalS)} s, the slopes fitted to the ` +
      `${settledCount} after the first ${fixed(result.settleS)} s` +
      (settledCount < MIN_SLOPE_SAMPLES ? ` (${MIN_SLOPE_SAMPLES} needed: run longer)` : '') +
      '.',
    '',
    '| what | RSS first → last sample | slope | limit | |',
    '|---|--:|--:|--:|---|',
    row('tester', (s) => s.testerMb, result.testerMbPerMinute),
    row(`server (primary + ${result.workers} workers)`, serverMb, result.serverMbPerMinute),
    `| tester's run | ${testerVerdict(result)} | | PASS | ${mark(verdictPassed)} |`,
    '',
    `Soak: ${mark(result.passed)}.`,
    '',
  ];
}
