/** Each program of examples/ runs as README shows it and does what its comment says. */
import test from 'ava';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../tester/harness/free-port.js';
import { launchServer } from '../tester/harness/server-launcher.js';
import { runLoad } from '../tester/load/run-load.js';
import { ROOT } from './helpers/server-process.js';

const example = (name: string) => path.join(ROOT, 'dist/examples', `${name}.js`);

/** Runs an example to its end: exit code and stdout, whatever the code. */
async function runExample(name: string, env: Record<string, string> = {}, args: string[] = []) {
  const options = { env: { ...process.env, ...env }, timeout: 60_000 };
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [example(name), ...args], options);
    return { code: 0, stdout };
  } catch (err) {
    const { code, stdout } = err as { code: number; stdout: string };
    return { code, stdout };
  }
}

test('custom-counter: runLoad on a Counter of its own passes; its racy variant fails with lost updates', async (t) => {
  const correct = await runExample('custom-counter');
  t.is(correct.code, 0, correct.stdout);
  t.regex(correct.stdout, /^in-memory: PASS: exact: 10000 of 10000 increments counted/);
  const racy = await runExample('custom-counter', { RACY: '1' });
  t.is(racy.code, 1, racy.stdout);
  t.regex(racy.stdout, /^in-memory \(racy\): FAIL: LOST \d+ of 10000 acknowledged increments/);
});

test('memory-store: a Store of its own behind the server routes counts exactly under the tester', async (t) => {
  const host = '127.0.0.1';
  const port = await freePort(host);
  const server = await launchServer({ host, port, env: {}, script: example('memory-store') });
  try {
    const spec = { backend: 'web' as const, targets: [{ host, port }], timeoutMs: 10_000 };
    const result = await runLoad({ spec, clientCount: 4, callsPerClient: 500 });
    t.true(result.passed, result.verdict);
    t.is(result.finalCount, 2000);
  } finally {
    t.is(await server.stop(), 0, 'SIGTERM closes the listen socket and the process ends');
  }
});

test('check-history: the correct history is valid, the lost update is not', async (t) => {
  const run = await runExample('check-history');
  t.is(run.code, 0);
  t.deepEqual(run.stdout.trim().split('\n'), [
    'correct: valid=true: exact: 3 of 3 increments counted, no duplicates, real-time order kept',
    'lost update: valid=false: LOST 1 of 3 acknowledged increments; 1 duplicate value; real-time order kept',
  ]);
});

test('check-history: a saved history is judged as the run judged it', async (t) => {
  const histories = path.join(ROOT, 'test/histories');
  const correct = await runExample('check-history', {}, [path.join(histories, 'correct.jsonl')]);
  t.is(correct.code, 0, correct.stdout);
  t.regex(correct.stdout, /correct\.jsonl: PASS: /);
  const lost = await runExample('check-history', {}, [path.join(histories, 'lost-update.jsonl')]);
  t.is(lost.code, 1, lost.stdout);
  t.regex(lost.stdout, /lost-update\.jsonl: FAIL: LOST /);
});
