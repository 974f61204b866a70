/**
 * The open-loop table: each loader at a fixed asked rate, judged by its latency percentiles
 * (lower is better) next to the reference's in the same round, with what the tester says about
 * its own pacing. A figure the tester does not report reads "not reported", never a blank.
 */
import { median } from '../tester/stats/statistics.js';
import { type LatencyPair, type OpenLoopFigures, type Row, type Sample } from './measurement.js';
import { formatInt, formatLatency, formatRatio } from './number-format.js';

const NOT_REPORTED = 'not reported';

/** Median over rounds of this row's percentile divided by its reference row's in the same round. */
function latencyRatio(row: Row, rows: Map<string, Row>, metric: keyof LatencyPair): number | null {
  const ref = row.refId && rows.get(row.refId);
  if (!ref) return null;
  const perRound = row.samples.flatMap((s) => {
    const other = ref.samples.find((r) => r.round === s.round);
    const [a, b] = [s[metric], other?.[metric]];
    return a !== undefined && b !== undefined && b > 0 ? [a / b] : [];
  });
  return perRound.length ? median(perRound) : null;
}

function medianOf(samples: Sample[], pick: (s: Sample) => number | undefined): number | undefined {
  const values = samples.flatMap((s) => {
    const v = pick(s);
    return v === undefined ? [] : [v];
  });
  return values.length ? median(values) : undefined;
}

/** "82 µs / 235 µs" from the rounds' medians, or "not reported" when no round has the figure. */
function pairCell(samples: Sample[], pick: (figures: OpenLoopFigures) => LatencyPair | undefined): string {
  const p50 = medianOf(samples, (s) => (s.openLoop && pick(s.openLoop))?.p50Us);
  const p99 = medianOf(samples, (s) => (s.openLoop && pick(s.openLoop))?.p99Us);
  return p50 === undefined || p99 === undefined ? NOT_REPORTED : `${formatLatency(p50)} / ${formatLatency(p99)}`;
}

function rateHeldCell(samples: Sample[]): string {
  const said = samples.flatMap((s) => (s.openLoop?.rateHeld === undefined ? [] : [s.openLoop.rateHeld]));
  if (said.length === 0) return NOT_REPORTED;
  const held = said.filter(Boolean).length;
  return held === said.length ? 'yes' : `**no** in ${said.length - held} of ${said.length} rounds`;
}

function checkCell(samples: Sample[]): string {
  const checked = samples.filter((s) => s.passed !== undefined);
  if (checked.length === 0) return '';
  const failed = checked.find((s) => !s.passed);
  return failed ? `**FAIL**: ${failed.verdict}` : 'pass';
}

function rowCells(row: Row, rows: Map<string, Row>): string[] {
  const head = [row.subject, row.tool, String(row.connections)];
  if (row.samples.length === 0)
    return [...head, `not measured (${row.notMeasured ?? 'unknown'})`, ...Array<string>(7).fill('–')];
  const { samples } = row;
  const errors = samples.reduce((sum, s) => sum + s.errorCount, 0);
  const rps = formatInt(median(samples.map((s) => s.rps))) + (errors ? ` (${formatInt(errors)} errors)` : '');
  const ours = row.tool === 'tester';
  return [
    ...head,
    rps,
    `${formatLatency(medianOf(samples, (s) => s.p50Us))} / ${formatLatency(medianOf(samples, (s) => s.p99Us))}`,
    `${formatRatio(latencyRatio(row, rows, 'p50Us'))} / ${formatRatio(latencyRatio(row, rows, 'p99Us'))}`,
    ours ? pairCell(samples, (f) => f.uncorrected) : '–',
    ours ? pairCell(samples, (f) => f.pacerLag) : '–',
    rateHeldCell(samples),
    checkCell(samples),
  ];
}

export function latencyTable(own: Row[], rows: Map<string, Row>, refHeader: string): string[] {
  return [
    `| What | Load | Conns | RPS (median) | p50 / p99 | ${refHeader} p50 / p99 | uncorrected p50 / p99 | ` +
      'pacer lag p50 / p99 | rate held | check |',
    '|---|---|--:|--:|--:|--:|--:|--:|---|---|',
    ...own.map((row) => `| ${rowCells(row, rows).join(' | ')} |`),
  ];
}
