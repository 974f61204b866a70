/**
 * `tester check` on files an adversary wrote: every one ends in one line on stderr and exit 2,
 * within a 1.5 GiB address space (ulimit -v: node reserves 1 GiB of it before reading a byte,
 * its reading thread a little more), so nothing is allocated from a number in the file and
 * nothing is read whole. A pipe and a FIFO are read as streams.
 */
import test, { type ExecutionContext } from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TESTER_MAIN } from './helpers/run-tester.js';

const EXIT_USAGE = 2;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'check-hostile-'));
test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));

function meta(run: Record<string, unknown> = {}): string {
  const fields = { counter: 'web', clientCount: 2, promisesExact: true, linearizable: true, unreadableCount: 0, ...run };
  return JSON.stringify({ index: 0, time: 0, process: 'tester', type: 'invoke', f: 'read', value: null, run: fields });
}

const BODY = [
  '{"index":1,"time":1000,"process":"tester","type":"ok","f":"read","value":0}',
  '{"index":2,"time":2000,"process":0,"type":"invoke","f":"inc","value":null}',
  '{"index":3,"time":3000,"process":0,"type":"ok","f":"inc","value":1}',
  '{"index":4,"time":4000,"process":"tester","type":"invoke","f":"read","value":null}',
  '{"index":5,"time":5000,"process":"tester","type":"ok","f":"read","value":1}',
];

function historyText(run?: Record<string, unknown>, edit = (line: string) => line): string {
  return [meta(run), ...BODY.map(edit)].join('\n') + '\n';
}

function file(name: string, text: string): string {
  const at = path.join(dir, name);
  fs.writeFileSync(at, text);
  return at;
}

/**
 * `tester check ARG` in a 1.5 GiB address space, kept about the file, not about the host: Node
 * reserves about 1 GB before it reads a byte, and the reading thread's isolate its own; the
 * semi-spaces are held at 4 MB (their growth to 16 MB, which a slightly larger start-up heap
 * triggers, failed there); and glibc reserves 64 MiB for each malloc arena, adding arenas when
 * threads contend (on a busy host V8's helpers do), so two arenas at most.
 */
async function check(arg: string, input?: string) {
  const script = 'ulimit -v 1572864; exec "$0" --max-semi-space-size=4 "$@"';
  const env = { ...process.env, MALLOC_ARENA_MAX: '2' };
  const child = spawn('bash', ['-c', script, process.execPath, TESTER_MAIN, 'check', arg], { env });
  const [stdout, stderr] = [child.stdout, child.stderr].map((stream) => {
    let text = '';
    stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
    return () => text;
  });
  child.stdin.end(input ?? '');
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stdout: stdout(), stderrLines: stderr().split('\n').filter(Boolean) };
}

async function refused(t: ExecutionContext, arg: string, message: RegExp, input?: string): Promise<void> {
  const run = await check(arg, input);
  t.is(run.code, EXIT_USAGE, run.stderrLines.join('\n'));
  t.is(run.stderrLines.length, 1, run.stderrLines.join('\n'));
  t.regex(run.stderrLines[0] ?? '', message);
}

for (const clientCount of [-1, 0, 1.5, 1e10, 2e9, 3e8, '"x"']) {
  test(`run.clientCount ${clientCount}: one line, exit 2, nothing allocated from it`, async (t) => {
    const text = historyText({ clientCount: JSON.parse(String(clientCount)) });
    const at = file(`client-count-${clientCount}.jsonl`, text);
    if (typeof clientCount === 'number' && Number.isSafeInteger(clientCount) && clientCount > 0 && clientCount < 2 ** 31) {
      // A large but whole count is a valid (if odd) history: read it without allocating per client.
      const run = await check(at);
      t.is(run.code, 0, run.stderrLines.join('\n'));
      return;
    }
    await refused(t, at, /line 1: run\.clientCount .* is not a whole number from 1 to 2147483647$/);
  });
}

test('a count beyond 2^53 is refused with its line, not rounded into a false verdict', async (t) => {
  const at = file('big.jsonl', historyText({}, (line) => line.replace('"value":1}', '"value":9007199254740993}')));
  await refused(t, at, /big\.jsonl line 4: value \d+ is not a whole number within ±\(2\^53 - 1\)/);
});

test('a completion before its invoke is refused', async (t) => {
  const at = file('back.jsonl', historyText({}, (line) => line.replace('"time":3000', '"time":1500')));
  await refused(t, at, /back\.jsonl line 4: process 0 completed at 1500, before it invoked$/);
});

test('a negative time is refused', async (t) => {
  const at = file('negative.jsonl', historyText({}, (line) => line.replace('"time":2000', '"time":-5')));
  await refused(t, at, /negative\.jsonl line 3: time -5 is not a whole number of nanoseconds/);
});

test('an answer after the final read began is refused: the count is read after the load', async (t) => {
  const lines = historyText().trim().split('\n');
  [lines[3], lines[4]] = [lines[4], lines[3].replace('"time":3000', '"time":4500')];
  await refused(t, file('late.jsonl', lines.join('\n')), /late\.jsonl line 5: process 0 answered after the tester's final read began/);
});

test('a 2 GB sparse file is refused at its first line, in a 1.5 GiB address space', async (t) => {
  const at = path.join(dir, 'sparse.jsonl');
  fs.writeFileSync(at, '');
  fs.truncateSync(at, 2 ** 31);
  await refused(t, at, /sparse\.jsonl line 1: longer than 1 MiB: not a history$/);
});

test('/dev/zero is refused at its first line', async (t) => {
  await refused(t, '/dev/zero', /^tester: \/dev\/zero line 1: longer than 1 MiB: not a history$/);
});

test('random bytes are refused with one short line', async (t) => {
  const garbage = Buffer.concat([Buffer.from([0xff, 0xfe, 0x7b]), Buffer.alloc(3000, 0x80), Buffer.from('\n')]);
  const run = await check(file('garbage.bin', garbage.toString('latin1')));
  t.is(run.code, EXIT_USAGE);
  t.is(run.stderrLines.length, 1);
  t.true(run.stderrLines[0].length < 400, run.stderrLines[0]);
});

test('a directory or a missing file is one line', async (t) => {
  await refused(t, dir, /cannot read it \(EISDIR/);
  await refused(t, path.join(dir, 'none.jsonl'), /does not exist: give a file saved by --history, or - for standard input/);
});

test('standard input: tester check - reads a pipe', async (t) => {
  const run = await check('-', historyText());
  t.is(run.code, 0, run.stderrLines.join('\n'));
  t.regex(run.stdout, /PASS: exact: 1 of 1 increments counted/);
});

test('a FIFO is read as a stream', async (t) => {
  const fifo = path.join(dir, 'history.fifo');
  execFileSync('mkfifo', [fifo]);
  const child = spawn(process.execPath, [TESTER_MAIN, 'check', fifo], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  await fs.promises.writeFile(fifo, historyText()); // waits until the tester opens the FIFO
  t.is(await exited, 0);
  t.regex(stdout, /PASS: exact: 1 of 1 increments counted/);
});
