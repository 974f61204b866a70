/**
 * README (Tester flags): `--engine native` makes the calls in the addon's epoll loop; `js` uses one
 * Node socket per client; the tester falls back to js, with a one-line note, when the addon is not
 * built. Which engine ran is read from the tester process itself: the loop's shared object
 * (build/Release/http_loader.node) is mapped into it, or not, while the clients run. The missing
 * addon is a copy of the package (package.json, dist/, node_modules linked) without build/: the
 * worktree's own addon stays in place for the other test files. Ports 19620-19629.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { waitUntil } from '../tester/harness/wait-until.js';
import { countOf } from './helpers/http-probes.js';
import { describeRun, runTester, startFaultyServer, stderrLines, type TesterRun } from './helpers/run-tester.js';
import { ROOT } from './helpers/server-process.js';
import { runTesterProcess, TESTER_MAIN } from '../tester/harness/tester-process.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'counters-engine-choice-'));
test.after.always(() => fs.rmSync(tmp, { recursive: true, force: true }));

let nextPort = 19620;
const LOOP_OBJECT = 'http_loader.node';
const target = (port: number) => ['--counter-host', '127.0.0.1', '--counter-port', String(port)];

/** The tester run to its end, and whether the native loop was mapped into it once calls were flowing. */
async function runWatchingEngine(args: string[]): Promise<{ run: TesterRun; loopMapped: boolean | undefined }> {
  const server = await startFaultyServer('ok', nextPort++);
  try {
    const started = Date.now();
    const child = spawn(process.execPath, [TESTER_MAIN, ...args, ...target(server.port)], {
      env: { ...process.env, COUNTER_HOST: '', COUNTER_PORT: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const closed = new Promise<TesterRun>((resolve) =>
      child.once('close', (code, signal) =>
        resolve({ code, signal, stdout, stderr, elapsedMs: Date.now() - started }),
      ),
    );
    // The server starts at 0 and the tester resets it: a positive count means the load is running.
    const flowing = await waitUntil(async () => ((await countOf(server.port)) ?? 0) > 0, 20_000);
    let loopMapped: boolean | undefined;
    if (flowing) {
      try {
        loopMapped = fs.readFileSync(`/proc/${child.pid}/maps`, 'utf8').includes(LOOP_OBJECT);
      } catch {
        // The run is already over: loopMapped stays undefined and the test says so.
      }
    }
    return { run: await closed, loopMapped };
  } finally {
    await server.stop();
  }
}

test.serial('--engine js from the command line: no native loop in the tester; the default runs it', async (t) => {
  const duration = ['--duration', '3s'];
  const js = await runWatchingEngine(['web', '--engine', 'js', '--n-clients', '2', ...duration]);
  t.is(js.run.code, 0, describeRun(js.run));
  t.is(js.loopMapped, false, `${LOOP_OBJECT} is not loaded with --engine js`);
  t.deepEqual(stderrLines(js.run), [], 'no note: the user chose js');

  const native = await runWatchingEngine(['web', '--n-clients', '2', ...duration]);
  t.is(native.run.code, 0, describeRun(native.run));
  t.is(native.loopMapped, true, `${LOOP_OBJECT} is loaded by default (--engine native)`);
  t.deepEqual(stderrLines(native.run), []);
});

/** A copy of the package as a user has it before `npm run build:native`: no build/ directory. */
function packageWithoutAddon(): string {
  const dir = path.join(tmp, 'unbuilt');
  fs.mkdirSync(dir);
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
  fs.cpSync(path.join(ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

test.serial('without the addon built, the tester runs on the JS client after one line saying so', async (t) => {
  const dir = packageWithoutAddon();
  const main = path.join(dir, 'dist/tester/main.js');
  const missing = path.join(dir, 'build/Release', LOOP_OBJECT);
  const note =
    `tester: native engine not built (missing ${missing}): run npm run build:native; ` +
    'using the JS web client, about 0.7x as fast';
  const server = await startFaultyServer('ok', nextPort++);
  try {
    const calls = ['--n-clients', '4', '--n-calls-per-client', '500', ...target(server.port)];
    // Two client threads each open the engine: the note is still said once.
    for (const threads of ['0', '2']) {
      const run = await runTesterProcess(['web', ...calls, '--client-threads', threads], { main, cwd: dir });
      t.is(run.code, 0, describeRun(run));
      t.deepEqual(stderrLines(run), [note], `--client-threads ${threads}`);
      t.regex(run.stdout, /Verdict: +PASS: exact: 2000 of 2000 increments counted/);
    }
    const chosen = await runTesterProcess(['web', '--engine', 'js', ...calls], { main, cwd: dir });
    t.is(chosen.code, 0, describeRun(chosen));
    t.deepEqual(stderrLines(chosen), [], '--engine js needs no addon and says nothing');
  } finally {
    await server.stop();
  }
});

test.serial('the same run with the addon built says nothing', async (t) => {
  const server = await startFaultyServer('ok', nextPort++);
  try {
    const run = await runTester(['web', '--n-clients', '4', '--n-calls-per-client', '500', ...target(server.port)]);
    t.is(run.code, 0, describeRun(run));
    t.deepEqual(stderrLines(run), []);
  } finally {
    await server.stop();
  }
});
