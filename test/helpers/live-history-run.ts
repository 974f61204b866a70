#!/usr/bin/env node
/**
 * node dist/test/helpers/live-history-run.js PORT FILE
 *
 * A run against a counter at 127.0.0.1:PORT that saves its history as it goes, as the tester
 * does with --history, until it is killed: it resets and reads the count, then 3 clients
 * increment in a loop while their calls are delivered to a HistoryStream every 20 ms, with
 * the watermark at the oldest call in flight. It never reads the final count: only a signal
 * ends it, for the tests of what a killed tester leaves.
 */
import { History, monotonicUs, Outcome } from '../../tester/check/history.js';
import { HistoryStream } from '../../tester/history/history-stream.js';
import type { ControlOp } from '../../tester/history/run-history.js';

const [port, file] = [process.argv[2], process.argv[3]];
const url = (path: string) => `http://127.0.0.1:${port}${path}`;
const CLIENTS = 3;
const DELIVER_EVERY_MS = 20;

async function controlOp(f: ControlOp['f'], call: () => Promise<Response>): Promise<ControlOp> {
  const invokeUs = monotonicUs();
  const answer = (await (await call()).json()) as { count?: number };
  const value = f === 'read' ? (answer.count ?? null) : null;
  return { f, invokeUs, completeUs: monotonicUs(), type: 'ok', value };
}

const originUs = monotonicUs();
const controlOps = [
  await controlOp('reset', () => fetch(url('/reset'), { method: 'POST' })),
  await controlOp('read', () => fetch(url('/count'))),
];
const stream = new HistoryStream({
  file: { path: file, format: 'jsonl' },
  meta: { counter: 'web', clientCount: CLIENTS, promisesExact: true, linearizable: true },
  originUs,
  controlOps,
  nemesisEvents: [],
});
let calls = new History();
/** Per client, when its call in flight began. */
const inFlightUs = new Float64Array(CLIENTS).fill(Infinity);

async function client(id: number): Promise<never> {
  for (;;) {
    const invokeUs = (inFlightUs[id] = monotonicUs());
    try {
      const { count } = (await (await fetch(url('/inc'), { method: 'POST' })).json()) as { count: number };
      calls.record(id, invokeUs, monotonicUs(), count, Outcome.ok);
    } catch {
      calls.record(id, invokeUs, monotonicUs(), undefined, Outcome.indeterminate);
    }
    inFlightUs[id] = Infinity;
  }
}

setInterval(() => {
  const delivered = calls;
  calls = new History();
  stream.deliver(delivered.data(), Math.min(monotonicUs(), ...inFlightUs));
}, DELIVER_EVERY_MS);
for (let id = 0; id < CLIENTS; id++) void client(id);
