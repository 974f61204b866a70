/**
 * A run's calls leave its client groups while it runs, whichever kind of group makes them: every
 * measured call arrives once (the server's count is the oracle: the values delivered are exactly
 * the counts it gave out during the run), no warmup call arrives, each client's calls arrive in
 * its own order, and no call arrives after a watermark that has already passed its invoke.
 */
import test from 'ava';
import { monotonicUs } from '../tester/check/history.js';
import { streamLoad } from '../tester/load/run-load.js';
import { lengthAnswer, type ScriptedAnswer, startScriptedServer } from './helpers/scripted-server.js';

const GROUPS = [
  { name: 'JS clients', engine: 'js', workerCount: 0 },
  { name: 'JS clients on 2 worker threads', engine: 'js', workerCount: 2 },
  { name: 'the native loop', engine: 'native', workerCount: 0 },
  { name: 'native loops on 2 worker threads', engine: 'native', workerCount: 2 },
] as const;

const answer = (n: number) => `{"count":${n}}`;
/** One answer in 20 takes longer than a delivery's interval: calls are in flight across deliveries. */
const SCRIPT: ScriptedAnswer[] = [
  ...Array.from({ length: 19 }, () => lengthAnswer('200 OK', answer)),
  { ...lengthAnswer('200 OK', answer), delayMs: 150 },
];

interface Delivery {
  receivedUs: number;
  watermarkUs: number;
  clientIds: number[];
  invokeUs: number[];
  values: number[];
}

for (const group of GROUPS) {
  test.serial(`${group.name}: each call delivered once, in its client's order, never behind a watermark`, async (t) => {
    const server = await startScriptedServer(SCRIPT);
    const deliveries: Delivery[] = [];
    try {
      const { measures } = await streamLoad({
        spec: { backend: 'web', targets: [{ host: '127.0.0.1', port: server.port }], timeoutMs: 10_000, engine: group.engine },
        clientCount: 4,
        callsPerClient: 0,
        durationMs: 800,
        warmupMs: 200,
        workerCount: group.workerCount,
        onCalls: (calls, watermarkUs) =>
          deliveries.push({
            receivedUs: monotonicUs(),
            watermarkUs,
            clientIds: Array.from(calls.clientIds),
            invokeUs: Array.from(calls.invokeUs),
            values: Array.from(calls.values),
          }),
      });
      t.deepEqual(measures.errors, {});
      const { initialCount, finalCount } = measures;
      const values = deliveries.flatMap((delivery) => delivery.values).sort((a, b) => a - b);
      const counted = Array.from({ length: finalCount! - initialCount }, (_, i) => initialCount + 1 + i);
      t.deepEqual(values, counted, 'the values delivered are the counts the server gave out in the run, once each');
      t.is(measures.attemptedCount, values.length);

      t.is(deliveries.at(-1)!.watermarkUs, Infinity, 'the last delivery closes the stream');
      t.true(deliveries.slice(0, -1).every((d) => Number.isFinite(d.watermarkUs)));
      t.true(deliveries.filter((d) => d.values.length > 0).length > 1, 'calls arrived while the run went on');
      let announcedUs = -Infinity;
      const lastInvokeUs = new Map<number, number>();
      for (const [k, delivery] of deliveries.entries()) {
        delivery.invokeUs.forEach((invokeUs, i) => {
          t.true(invokeUs >= announcedUs, `delivery ${k}: a call invoked at ${invokeUs} after watermark ${announcedUs}`);
          const client = delivery.clientIds[i];
          t.true(invokeUs > (lastInvokeUs.get(client) ?? -Infinity), `client ${client}: calls out of order`);
          lastInvokeUs.set(client, invokeUs);
        });
        t.true(delivery.watermarkUs >= announcedUs, 'watermarks never go back');
        announcedUs = delivery.watermarkUs;
      }
      // The watermark waited for slow calls: some call arrived after a delivery it was in flight at.
      const heldBack = deliveries.some((delivery, k) =>
        delivery.invokeUs.some((invokeUs) => deliveries.slice(0, k).some((earlier) => earlier.receivedUs > invokeUs)),
      );
      t.true(heldBack, 'a call was in flight across a delivery');
    } finally {
      await server.close();
    }
  });
}
