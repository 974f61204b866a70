/**
 * What the HTML report of one run shows: its judgement (a run's result, or `tester check`'s of
 * a saved history) and what its history alone tells, so both draw the same page. A whole
 * history goes through the same `ReportRecorder` a streaming run feeds.
 */
import type { HistoryData } from '../check/history.js';
import type { RunHistory } from '../history/run-history.js';
import { drawnWitnessOps } from './anomaly-sections.js';
import { type CallRows, ReportRecorder } from './report-recorder.js';
import type { RunReport } from './report-shapes.js';
import type { RunJudgement } from './run-facts.js';

export function runReport(judged: RunJudgement, history: RunHistory): RunReport {
  const recorder = new ReportRecorder(history.originUs);
  // The witnesses are known before the calls go by: every window they need is kept whole.
  for (const ops of drawnWitnessOps(judged.check)) recorder.mark(ops);
  recorder.add(inCompletionOrder(history.ops));
  return recorder.report(judged, history);
}

/**
 * The calls in the order a run streams them, so that the recorder's ring ends with the clients'
 * last calls (a history merged from several load threads is in order per thread only).
 */
function inCompletionOrder(ops: HistoryData): CallRows {
  let ordered = true;
  for (let i = 1; i < ops.length && ordered; i++) ordered = ops.completeUs[i - 1] <= ops.completeUs[i];
  if (ordered) return { ...ops, firstRow: 0 };
  const order = Array.from({ length: ops.length }, (_, i) => i).sort(
    (a, b) => ops.completeUs[a] - ops.completeUs[b] || a - b,
  );
  const pick = <T extends Float64Array | Uint32Array | Uint8Array>(column: T): T =>
    column.map((_, k) => column[order[k]]) as T;
  return {
    length: ops.length,
    clientIds: pick(ops.clientIds),
    invokeUs: pick(ops.invokeUs),
    completeUs: pick(ops.completeUs),
    values: pick(ops.values),
    outcomes: pick(ops.outcomes),
    firstRow: 0,
    rows: Float64Array.from(order),
  };
}
