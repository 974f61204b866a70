/**
 * Random runs saved as they went (HistoryStream, as a run saves them), with what the writer's
 * sinks got: what a reader of the saved file must hand its sink again.
 */
import type { CallBatch } from '../../tester/check/call-batch.js';
import { History } from '../../tester/check/history.js';
import { HistoryStream } from '../../tester/history/history-stream.js';
import type { HistoryFormat } from '../../tester/history/history-writer.js';
import { sinceStartNs } from '../../tester/history/run-history.js';
import { randomHistory, SERVER_FAULTS } from './random-histories.js';

/** One row of a batch, times in nanoseconds since the run started. */
export function rowsOf(batches: CallBatch[], originUs: number): number[][] {
  return batches.flatMap((batch) =>
    Array.from({ length: batch.length }, (_, r) => [
      batch.firstRow + r,
      batch.clientIds[r],
      sinceStartNs(batch.invokeUs[r], originUs),
      sinceStartNs(batch.completeUs[r], originUs),
      batch.values[r],
      batch.outcomes[r],
      batch.invokeIndex[r],
      batch.processes[r],
    ]),
  );
}

/**
 * A sink keeping a copy of every batch: its columns are reused once `add` returns (a slice, as
 * structuredClone would keep sharing a batch in shared memory).
 */
export const sinkInto = (batches: CallBatch[]) => ({ add: (batch: CallBatch) => batches.push(copyOf(batch)) });

export function copyOf(batch: CallBatch): CallBatch {
  const { clientIds, invokeUs, completeUs, values, outcomes, invokeIndex, processes } = batch;
  return {
    ...batch,
    clientIds: clientIds.slice(),
    invokeUs: invokeUs.slice(),
    completeUs: completeUs.slice(),
    values: values.slice(),
    outcomes: outcomes.slice(),
    invokeIndex: invokeIndex.slice(),
    processes: processes.slice(),
  };
}

/** A random run saved as it went, its end metadata on the last line; what its sinks got. */
export function savedRun(random: () => number, i: number, file: string, format: HistoryFormat) {
  const made = randomHistory(random, SERVER_FAULTS[i % SERVER_FAULTS.length], { maxCalls: 40, clients: 4, callsPerClient: 4 });
  const originUs = 1000;
  const ops = History.fromData(made.data).data();
  for (let row = 0; row < ops.length; row++) {
    ops.invokeUs[row] += originUs;
    ops.completeUs[row] += originUs;
  }
  const endUs = Math.max(2, ...Array.from(made.data.completeUs)) + 1;
  // After every call, as the reader wants it (the random history may let an indeterminate one end later).
  const final = { invokeUs: endUs, completeUs: endUs + 1, value: made.final ?? null };
  const batches: CallBatch[] = [];
  const meta = { counter: 'random', clientCount: 4, promisesExact: true, linearizable: true };
  const stream = new HistoryStream({
    file: { path: file, format },
    meta,
    originUs,
    controlOps: [{ f: 'read', invokeUs: originUs, completeUs: originUs + 1, type: 'ok', value: made.initial }],
    nemesisEvents: [{ time: 3000, f: 'start-pause', value: 'SIGSTOP' }],
    sinks: [sinkInto(batches)],
  });
  stream.deliver(ops, Infinity);
  const finalOp = { f: 'read' as const, invokeUs: originUs + final.invokeUs, completeUs: originUs + final.completeUs };
  stream.finish([{ ...finalOp, type: final.value === null ? 'fail' : 'ok', value: final.value }], { unreadableCount: i % 3 });
  return { batches, originUs, meta: { ...meta, unreadableCount: i % 3 } };
}
