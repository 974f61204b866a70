/**
 * runLoad from code, on a Counter of your own (examples/in-memory-counter.ts): 10 clients x
 * 1000 increments, then the checker's verdict. Exit 1 when the run fails.
 *   node dist/examples/custom-counter.js            PASS
 *   RACY=1 node dist/examples/custom-counter.js     FAIL: lost updates, duplicate values
 */
import { runLoad } from '../tester/load/run-load.js';

const result = await runLoad({
  // A module URL, not an object: the spec is plain data, so worker threads (workerCount) can load it too.
  spec: { backend: 'module', url: new URL('./in-memory-counter.js', import.meta.url).href },
  clientCount: 10,
  callsPerClient: 1000,
});
console.log(`${result.counter}: ${result.passed ? 'PASS' : 'FAIL'}: ${result.verdict}`);
process.exitCode = result.passed ? 0 : 1;
