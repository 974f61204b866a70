/**
 * How the tester files a failed call: as failed (certainly not applied) or indeterminate (may
 * have been applied). A call filed as failed that the server did apply shows up as an EXTRA
 * increment; one filed as indeterminate widens the bounds. This file's ports: 18700-18719.
 */
import test from 'ava';
import { CounterError, type ErrorKind } from '../counters/counter.js';
import { Outcome } from '../tester/check/history.js';
import { LoadRecorder } from '../tester/load/client-loop.js';
import { runLoad } from '../tester/load/run-load.js';
import { type FaultyMode, startFaultyServer } from './helpers/run-tester.js';

const CLIENTS = 2;
const CALLS = 100;

/**
 * Each mode counts every Kth increment, then fails to acknowledge it in its own way. A hang is
 * found by the call's timeout, long enough that no answered call on a busy machine meets it;
 * fewer hangs keep the case short.
 */
const CASES: Array<{ mode: FaultyMode; kind: ErrorKind; timeoutMs: number; every: number }> = [
  { mode: 'unavailable', kind: 'http_status', timeoutMs: 5000, every: 10 },
  { mode: 'error', kind: 'http_status', timeoutMs: 5000, every: 10 },
  { mode: 'reset', kind: 'reset', timeoutMs: 5000, every: 10 },
  { mode: 'hang', kind: 'timeout', timeoutMs: 3000, every: 50 },
];

let nextPort = 18700;

for (const { mode, kind, timeoutMs, every } of CASES) {
  const faultCount = (CLIENTS * CALLS) / every;
  const title =
    `a server that applies an increment and then answers '${mode}': ${kind}, ` +
    'indeterminate, count within bounds';
  test(title, async (t) => {
    const port = nextPort++;
    const server = await startFaultyServer(mode, port, every);
    try {
      const result = await runLoad({
        spec: { backend: 'web', targets: [{ host: '127.0.0.1', port }], timeoutMs },
        clientCount: CLIENTS,
        callsPerClient: CALLS,
      });
      t.deepEqual(result.errors, { [kind]: faultCount });
      t.like(result.check, { okCount: CLIENTS * CALLS - faultCount, indeterminateCount: faultCount, failedCount: 0 });
      t.is(result.finalCount, CLIENTS * CALLS, 'the server counted every increment');
      t.like(result.check.checks.count, { valid: true, mode: 'bounds', lostCount: 0, extraCount: 0 });
      t.true(result.passed, result.verdict);
      t.is(
        result.verdict,
        `${CLIENTS * CALLS} increments counted, within [${CLIENTS * CALLS - faultCount}, ${CLIENTS * CALLS}] ` +
          `(${faultCount} indeterminate), no duplicates, real-time order kept`,
      );
    } finally {
      await server.stop();
    }
  });
}

test('error kinds map to outcomes: refused and conflict were not applied, anything else may have been', (t) => {
  const expected: Record<ErrorKind, Outcome> = {
    refused: Outcome.failed,
    conflict: Outcome.failed,
    reset: Outcome.indeterminate,
    timeout: Outcome.indeterminate,
    http_status: Outcome.indeterminate,
    protocol: Outcome.indeterminate,
    backend: Outcome.indeterminate,
  };
  const recorder = new LoadRecorder();
  for (const [kind, outcome] of Object.entries(expected) as Array<[ErrorKind, Outcome]>) {
    t.is(recorder.recordError(new CounterError(`a ${kind} error`, kind)), outcome, kind);
  }
  t.is(
    recorder.recordError(new Error('not a CounterError')),
    Outcome.indeterminate,
    'an unclassified error may have been applied',
  );
  t.like(recorder.errorCounts, { refused: 1, conflict: 1, backend: 2 });
  t.is(recorder.errorExamples.backend, 'a backend error', 'the first message of a kind is kept');
});
