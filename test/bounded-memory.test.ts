/**
 * A run that keeps no history runs in memory independent of its length (issue 26): in one run
 * against our shared-memory server, the tester's resident memory after 8M calls is within 30 MB
 * of what it was after 2M. Keeping every call, as runs did before, took about 100 bytes a call:
 * some 600 MB more.
 */
import test from 'ava';
import v8 from 'node:v8';
import vm from 'node:vm';
import { storeEnv } from '../tester/harness/store-catalogue.js';
import { streamLoad } from '../tester/load/run-load.js';
import { onFreePort, startServer } from './helpers/server-process.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const CLIENTS = 10;
const FIRST_CALLS = 2_000_000;
const LAST_CALLS = 8_000_000;
const MAX_GROWTH_MB = 30;

/** Resident memory with the garbage collected, in MB: what the run holds on to. */
function heldRssMb(): number {
  gc();
  return process.memoryUsage().rss / 2 ** 20;
}

test('a run that keeps no history: RSS after 8M calls within 30 MB of RSS after 2M, in one run', async (t) => {
  // A loaded 2-core host may make fewer than 50k calls a second.
  t.timeout(10 * 60_000);
  const env = { ...storeEnv('shared_memory_atomic'), WORKERS: '1' };
  const server = await onFreePort((port) => startServer({ ...env, PORT: String(port) }));
  const rssMb: number[] = [];
  let deliveredCount = 0;
  try {
    const { measures } = await streamLoad({
      spec: { backend: 'web', targets: [{ host: '127.0.0.1', port: server.port }], timeoutMs: 10_000 },
      clientCount: CLIENTS,
      callsPerClient: LAST_CALLS / CLIENTS,
      onCalls: (calls) => {
        const before = deliveredCount;
        deliveredCount += calls.length;
        if (before < FIRST_CALLS && deliveredCount >= FIRST_CALLS) rssMb.push(heldRssMb());
        if (deliveredCount === LAST_CALLS) rssMb.push(heldRssMb());
      },
    });
    t.deepEqual(measures.errors, {});
    t.is(measures.attemptedCount, LAST_CALLS);
    t.is(rssMb.length, 2);
    const [firstMb, lastMb] = rssMb;
    t.log(`RSS ${firstMb.toFixed(1)} MB after ${FIRST_CALLS} calls, ${lastMb.toFixed(1)} MB after ${LAST_CALLS}`);
    t.true(lastMb - firstMb < MAX_GROWTH_MB, `RSS grew by ${(lastMb - firstMb).toFixed(1)} MB`);
  } finally {
    await server.stop();
  }
});
