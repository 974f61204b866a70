/**
 * A tester killed with SIGKILL while it saves its history leaves a history `tester check` reads:
 * the tester CLI increments a counter with --history until its file has grown, is killed, and
 * `tester check` judges what it left, plain and gzip, from the file and from a pipe: one line of
 * warning, calls never answered taken as indeterminate, the count unknown without the final read.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../tester/harness/free-port.js';
import { waitUntil } from '../tester/harness/wait-until.js';
import { describeRun, runTester, startFaultyServer, stderrLines, TESTER_MAIN, type TesterRun } from './helpers/run-tester.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'history-killed-'));
test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Bytes saved before the kill: several flushes (each a gzip member when compressed). */
const GROWN = { 'run.jsonl': 300_000, 'run.jsonl.gz': 30_000 };

for (const [name, grown] of Object.entries(GROWN)) {
  test(`${name}: a run killed mid-write leaves a history tester check judges, cut short`, async (t) => {
    const port = await freePort();
    const server = await startFaultyServer('ok', port);
    const file = path.join(dir, name);
    const run = ['web', '--counter-port', String(port), '--n-clients', '4', '--duration', '10m', '--history', file];
    const child = spawn(process.execPath, [TESTER_MAIN, ...run], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    try {
      const size = () => (fs.existsSync(file) ? fs.statSync(file).size : 0);
      t.true(await waitUntil(() => size() >= grown || child.exitCode !== null, 120_000), `${size()} bytes`);
      t.is(child.exitCode, null, stderr);
    } finally {
      child.kill('SIGKILL');
      await exited;
      await server.stop();
    }
    for (const check of [await runTester(['check', file]), await checkFromPipe(file)]) {
      // No final read: the count is unknown, and a method that promises an exact count cannot pass.
      t.is(check.code, 1, describeRun(check));
      t.regex(check.stdout, /final count unknown/);
      const [warning, ...more] = stderrLines(check);
      t.deepEqual(more, [], describeRun(check));
      t.log(warning);
      t.regex(warning, /^tester: warning: (\S+|standard input): (line \d+ is cut short .*; )?it ends before the run's last line/);
    }
  });
}

/** `cat FILE | tester check -`. */
function checkFromPipe(file: string): Promise<TesterRun> {
  const started = Date.now();
  const child = spawn('bash', ['-c', 'cat "$1" | "$0" "$2" check -', process.execPath, file, TESTER_MAIN]);
  let [stdout, stderr] = ['', ''];
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, elapsedMs: Date.now() - started })),
  );
}
