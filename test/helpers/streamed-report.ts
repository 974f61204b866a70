/**
 * A run's calls fed to a `ReportRecorder` as a streaming run feeds it: in batches of
 * consecutive rows, each witness marked only once its last call went by (when a checker
 * judging as it goes could first name it), so its window's start comes from the ring.
 */
import type { HistoryCheck } from '../../tester/check/check-history.js';
import type { HistoryData } from '../../tester/check/history.js';
import { drawnWitnessOps } from '../../tester/report/anomaly-sections.js';
import { ReportRecorder } from '../../tester/report/report-recorder.js';

export function streamedRecorder(
  ops: HistoryData,
  originUs: number,
  check: HistoryCheck,
  batchSize: number,
): ReportRecorder {
  const recorder = new ReportRecorder(originUs);
  const pending = drawnWitnessOps(check).map((witnesses) => ({
    witnesses,
    lastRow: Math.max(...witnesses.map(({ row }) => row)),
  }));
  for (let firstRow = 0; firstRow < ops.length; firstRow += batchSize) {
    const end = Math.min(ops.length, firstRow + batchSize);
    recorder.add({
      firstRow,
      length: end - firstRow,
      clientIds: ops.clientIds.subarray(firstRow, end),
      invokeUs: ops.invokeUs.subarray(firstRow, end),
      completeUs: ops.completeUs.subarray(firstRow, end),
      values: ops.values.subarray(firstRow, end),
      outcomes: ops.outcomes.subarray(firstRow, end),
    });
    for (const { witnesses, lastRow } of pending) if (lastRow >= firstRow && lastRow < end) recorder.mark(witnesses);
  }
  return recorder;
}
