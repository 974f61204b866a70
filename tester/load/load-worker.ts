import { parentPort, workerData } from 'node:worker_threads';
import { openLocalGroup } from './client-group.js';
import type { CounterSpec } from './counter-spec.js';

/** A worker thread's side of openWorkerGroup: connect, wait for the plan, run, report, close. */
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
      const result = await group.run(message.plan);
      const h = result.history;
      port.postMessage(
        result,
        [h.clientIds, h.invokeUs, h.completeUs, h.values, h.outcomes].map((c) => c.buffer as ArrayBuffer),
      );
    } else if (message.close) {
      await group.close();
      port.close();
    }
  });
} catch (err) {
  port.postMessage({ error: err instanceof Error ? err.message : String(err) });
}
