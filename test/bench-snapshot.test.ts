/**
 * The bench measures a private copy of the build (bench/servers.ts snapshotBuild): a copy that
 * misses a folder the tester imports makes every tester row of the bench "not measured".
 */
import test from 'ava';
import { snapshotBuild } from '../bench/servers.js';
import { runTesterProcess } from '../tester/harness/tester-process.js';
import path from 'node:path';

test("the bench's copy of the build runs the tester", async (t) => {
  const snapshot = snapshotBuild();
  try {
    const run = await runTesterProcess(['web', '--help'], { main: path.join(snapshot.root, 'dist/tester/main.js') });
    t.is(run.code, 0, run.stderr);
    t.regex(run.stdout, /--n-clients/);
  } finally {
    snapshot.cleanup();
  }
});
