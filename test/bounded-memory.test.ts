/**
 * A run is judged, and its history saved, in memory independent of its length (issue 26): in one
 * run against our shared-memory server, the tester's resident memory after 8M calls is within
 * 30 MB of what it was after 2M. Keeping every call, as runs did before, took about 100 bytes a
 * call: some 600 MB more.
 */
import test from 'ava';
import v8 from 'node:v8';
import vm from 'node:vm';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { storeEnv } from '../tester/harness/store-catalogue.js';
import { recordLoad } from '../tester/load/run-load.js';
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

test('a run judged and saved as it goes: RSS after 8M calls within 30 MB of RSS after 2M, in one run', async (t) => {
  // A loaded 2-core host may make fewer than 50k calls a second.
  t.timeout(10 * 60_000);
  const env = { ...storeEnv('shared_memory_atomic'), WORKERS: '1' };
  const server = await onFreePort((port) => startServer({ ...env, PORT: String(port) }));
  const rssMb: number[] = [];
  let deliveredCount = 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bounded-memory-'));
  try {
    const { result } = await recordLoad({
      spec: { backend: 'web', targets: [{ host: '127.0.0.1', port: server.port }], timeoutMs: 10_000 },
      clientCount: CLIENTS,
      callsPerClient: LAST_CALLS / CLIENTS,
      historyFile: { path: path.join(dir, 'history.jsonl.gz'), format: 'jsonl' },
      onCalls: (calls) => {
        const before = deliveredCount;
        deliveredCount += calls.length;
        if (before < FIRST_CALLS && deliveredCount >= FIRST_CALLS) rssMb.push(heldRssMb());
        if (deliveredCount === LAST_CALLS) rssMb.push(heldRssMb());
      },
    });
    t.deepEqual(result.errors, {});
    t.is(result.attemptedCount, LAST_CALLS);
    t.regex(result.verdict, /^exact: 8000000 of 8000000 increments counted, no duplicates, real-time order kept/);
    t.is(rssMb.length, 2);
    const [firstMb, lastMb] = rssMb;
    t.log(`RSS ${firstMb.toFixed(1)} MB after ${FIRST_CALLS} calls, ${lastMb.toFixed(1)} MB after ${LAST_CALLS}`);
    t.true(lastMb - firstMb < MAX_GROWTH_MB, `RSS grew by ${(lastMb - firstMb).toFixed(1)} MB`);
  } finally {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
