/**
 * The tester against a counter it did not write: test/peers/fastapi_counter.py, a FastAPI
 * service whose POST /inc answers {"status":"ok"} without the value. Needs the Python venv
 * at .services/venv (scripts/test-tools.sh makes it from test/requirements.txt).
 */
import test from 'ava';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../tester/harness/free-port.js';
import { describeRun, parseJsonOutput, runTester } from './helpers/run-tester.js';
import { ROOT } from './helpers/server-process.js';

const PYTHON = path.join(ROOT, '.services/venv/bin/python');

/** Starts uvicorn on the peer and resolves once it answers GET /count. */
async function startPeer(port: number): Promise<ChildProcess> {
  const args = [
    '-m',
    'uvicorn',
    'fastapi_counter:app',
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--log-level',
    'warning',
  ];
  const child = spawn(PYTHON, args, { cwd: path.join(ROOT, 'test/peers'), stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) throw new Error(`uvicorn exited with ${child.exitCode}:\n${output}`);
    const ok = await fetch(`http://127.0.0.1:${port}/count`).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return child;
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`uvicorn did not answer within 10 s:\n${output}`);
}

let peer: ChildProcess | undefined;
let port = 0;

test.before(async () => {
  if (!fs.existsSync(PYTHON)) {
    const make = 'python3 -m venv .services/venv && .services/venv/bin/pip install -r test/requirements.txt';
    throw new Error(`${PYTHON} is missing: run bash scripts/test-tools.sh (or ${make})`);
  }
  port = await freePort();
  peer = await startPeer(port);
});

test.after.always(() => {
  peer?.kill('SIGTERM');
});

test('a FastAPI counter answering {"status":"ok"} PASSes on its final count, value checks said skipped', async (t) => {
  const target = ['--counter-host', '127.0.0.1', '--counter-port', String(port)];
  const run = await runTester(['web', '--n-clients', '8', '--n-calls-per-client', '100', ...target, '--json']);
  t.is(run.code, 0, describeRun(run));
  const result = parseJsonOutput(run);
  t.like(result, { passed: true, totalCalls: 800, finalCount: 800, errors: {} });
  t.is(result.verdict, 'exact: 800 of 800 increments counted; no values returned (uniqueness and order not checked)');
});
