import { parentPort, workerData } from 'node:worker_threads';
import type { HistoryData } from '../check/history.js';
import { type CallsMessage, openLocalGroup } from './client-group.js';
import type { CounterSpec } from './counter-spec.js';

/**
 * A worker thread's side of openWorkerGroup: connect, wait for the plan, run (posting the calls as
 * they end), report, close.
 */
const { spec, clientCount, firstClientId, progress } = workerData as {
  spec: CounterSpec;
  clientCount: number;
  firstClientId: number;
  progress: Float64Array;
};
const port = parentPort!;

try {
  const group = await openLocalGroup(spec, clientCount, firstClientId, progress);
  port.postMessage({ ready: true });
  port.on('message', async (message: { plan?: never; close?: true }) => {
    if (message.plan) {
      const result = await group.run(message.plan, (calls, watermarkUs) => {
        const posted: CallsMessage = { calls, watermarkUs };
        port.postMessage(posted, transferList(calls));
      });
      port.postMessage(result);
    } else if (message.close) {
      await group.close();
      port.close();
    }
  });
} catch (err) {
  port.postMessage({ error: err instanceof Error ? err.message : String(err) });
}

/** The calls' buffers: each delivery's are its own (see OnCalls), so they move rather than copy. */
function transferList(calls: HistoryData): ArrayBuffer[] {
  const columns = [calls.clientIds, calls.invokeUs, calls.completeUs, calls.values, calls.outcomes];
  return columns.map((column) => column.buffer as ArrayBuffer);
}
