/**
 * README (Output): "On a terminal a progress bar (calls done, current RPS, errors) runs on stderr."
 * The tester runs on a pseudo-terminal (script(1)) against a server that answers every 10th
 * increment 503, with each engine: the bar's frames must count calls up, show a rate, and show
 * the errors while the run goes on, not only once it is over; stdout, redirected to a file, holds
 * the result block and no bar. Off a terminal there is no bar at all. Ports 19610-19619.
 */
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeRun, runTester, startFaultyServer, TESTER_MAIN } from './helpers/run-tester.js';
import { runOnTerminal } from './helpers/terminal.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'counters-progress-bar-'));
test.after.always(() => fs.rmSync(tmp, { recursive: true, force: true }));

let nextPort = 19610;
const FAILING_EVERY = 10;

interface Frame {
  phase: string;
  done: number;
  rps: number;
  errors: number;
}

/** Every frame the bar drew, in order (cli-progress redraws the line after moving to column 1). */
function frames(terminal: string): Frame[] {
  const pattern = /(run|warmup) \[[^\]]*\] (\d+)\/\d+ calls \| (\d+) req\/s \| (\d+) errors \| [\d.]+s/g;
  return [...terminal.matchAll(pattern)].map((m) => ({
    phase: m[1],
    done: Number(m[2]),
    rps: Number(m[3]),
    errors: Number(m[4]),
  }));
}

for (const engine of ['native', 'js'] as const) {
  test.serial(`--engine ${engine}: on a terminal, stderr shows calls done, current RPS and errors as they happen`, async (t) => {
    const server = await startFaultyServer('unavailable', nextPort++, FAILING_EVERY);
    const stdoutFile = path.join(tmp, `${engine}-stdout.txt`);
    try {
      const args = ['web', '--engine', engine, '--n-clients', '2', '--duration', '2s'];
      const target = ['--counter-host', '127.0.0.1', '--counter-port', String(server.port)];
      const run = await runOnTerminal(process.execPath, [TESTER_MAIN, ...args, ...target], {
        stdoutFile,
        env: { COUNTER_HOST: '', COUNTER_PORT: '' },
      });
      const stdout = fs.readFileSync(stdoutFile, 'utf8');
      const seen = frames(run.terminal);
      t.log(`${seen.length} frames, last ${JSON.stringify(seen.at(-1))}`);
      t.is(run.code, 0, `${run.terminal}\nstdout:\n${stdout}`);
      // A 2 s run redraws every 250 ms: a handful of frames, whatever the machine's speed.
      t.true(seen.length >= 3, run.terminal);
      t.true(seen.every((frame) => frame.phase === 'run'));
      t.true(
        seen.every((frame, i) => i === 0 || frame.done >= seen[i - 1].done),
        'calls done never go back',
      );
      t.true(seen.at(-1)!.done > seen[0].done, 'calls done go up');
      t.true(
        seen.some((frame) => frame.rps > 0),
        'a current rate is shown',
      );
      // Every 10th call fails: once 100 calls went well, at least 9 had failed. The last frame is
      // drawn after the run, when any engine has tallied its errors: the frames before it count.
      const during = seen.slice(0, -1).filter((frame) => frame.done >= 100);
      t.true(during.length > 0, 'frames during the run');
      for (const frame of during) t.true(frame.errors >= 9, `errors shown during the run: ${JSON.stringify(frame)}`);
      t.regex(stdout, /^={60}\nPERFORMANCE TEST RESULTS\n/, 'the result block is on stdout');
      t.notRegex(stdout, /req\/s \|/, 'the bar is not on stdout');
      t.regex(stdout, /Errors: +http_status \d+/);
    } finally {
      await server.stop();
    }
  });
}

test.serial('off a terminal, no bar', async (t) => {
  const server = await startFaultyServer('ok', nextPort++);
  try {
    const target = ['--counter-host', '127.0.0.1', '--counter-port', String(server.port)];
    const run = await runTester(['web', '--n-clients', '2', '--duration', '1s', ...target]);
    t.is(run.code, 0, describeRun(run));
    t.is(frames(run.stderr).length, 0, run.stderr);
    t.notRegex(run.stderr, /calls \|/);
  } finally {
    await server.stop();
  }
});
