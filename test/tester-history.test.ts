/**
 * `tester web --history FILE` then `tester check FILE`: the saved history is judged again
 * with the same verdict, witnesses and exit code as the run that wrote it, in both formats.
 * Against test/fixtures/faulty-server.ts, no database needed. This file's ports: 18940-18949.
 */
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseEdn } from '../tester/history/edn.js';
import { describeRun, type FaultyMode, runTester, startFaultyServer } from './helpers/run-tester.js';

let nextPort = 18940;

/** The text report's Verdict line and the witness lines under it. */
function verdictLines(stdout: string): string[] {
  const lines = stdout.split('\n');
  const start = lines.findIndex((line) => line.startsWith('Verdict:'));
  const end = lines.findIndex((line, i) => i > start && !line.startsWith(' '));
  return lines.slice(start, end);
}

const CASES: Array<{ mode: FaultyMode; format: 'jsonl' | 'edn'; code: number; verdict: RegExp; gzip?: boolean }> = [
  { mode: 'ok', format: 'jsonl', code: 0, verdict: /^PASS: exact: 60 of 60/ },
  { mode: 'lose', format: 'jsonl', code: 1, verdict: /^FAIL: LOST 6 of 60 acknowledged increments/ },
  { mode: 'reset', format: 'jsonl', code: 0, verdict: /^PASS: 60 increments counted, within \[54, 60\] \(6 indet/ },
  { mode: 'lose', format: 'edn', code: 1, verdict: /^FAIL: LOST 6 of 60 acknowledged increments/ },
  { mode: 'lose', format: 'jsonl', code: 1, verdict: /^FAIL: LOST 6 of 60 acknowledged increments/, gzip: true },
];

for (const { mode, format, code, verdict, gzip } of CASES) {
  const name = `run.${format}${gzip ? '.gz' : ''}`;
  const title = `a '${mode}' run saved as ${name}: tester check prints its verdict, exits ${code} as the run did`;
  test(title, async (t) => {
    const port = nextPort++;
    const server = await startFaultyServer(mode, port, 10);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tester-history-'));
    const file = path.join(dir, name);
    try {
      const args = ['web', '--counter-host', '127.0.0.1', '--counter-port', String(port), '--n-clients', '3'];
      const history = ['--history', file, '--history-format', format];
      const run = await runTester([...args, '--n-calls-per-client', '20', ...history]);
      t.is(run.code, code, describeRun(run));
      const ran = verdictLines(run.stdout);
      t.regex(ran[0].replace(/^Verdict: +/, ''), verdict);
      const finalRead = /^ {31}final read 54 outside \[60, 60\]: tester op \d+ \[[\d.]+ ms–[\d.]+ ms\]$/;
      if (code !== 0) t.regex(ran[1], finalRead);
      const duplicate = /^ {31}duplicate value \d+: client \d op \d+ \[[\d.]+ ms–[\d.]+ ms\] and client \d op \d+/;
      if (code !== 0) t.regex(ran[2], duplicate);

      if (gzip) t.deepEqual([...fs.readFileSync(file).subarray(0, 2)], [0x1f, 0x8b]);
      const check = await runTester(['check', file]);
      t.is(check.code, run.code, describeRun(check));
      t.deepEqual(check.stdout.trimEnd().split('\n'), ran);
    } finally {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test("an EDN history is Jepsen's: every line one map, keywords for type, f and the tester process", async (t) => {
  const port = nextPort++;
  const server = await startFaultyServer('reset', port, 5);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tester-history-'));
  const file = path.join(dir, 'run.edn');
  try {
    const args = ['web', '--counter-host', '127.0.0.1', '--counter-port', String(port), '--n-clients', '2'];
    const run = await runTester([...args, '--n-calls-per-client', '10', '--history', file, '--history-format', 'edn']);
    t.is(run.code, 0, describeRun(run));
    const text = fs.readFileSync(file, 'utf8');
    const first =
      /^\{:index 0, :time \d+, :process :tester, :type :invoke, :f :reset, :value nil, :run \{:counter "web"/;
    t.regex(text, first);
    const events = text
      .trimEnd()
      .split('\n')
      .map((line) => parseEdn(line) as Record<string, unknown>);
    t.deepEqual(
      events.map((event) => event.index),
      events.map((_, i) => i),
    );
    const times = events.map((event) => event.time as number);
    t.deepEqual(
      times,
      [...times].sort((a, b) => a - b),
      'events in time order',
    );
    // 20 increments and the tester's reset and two reads, each an invoke and a completion.
    t.is(events.length, 2 * (20 + 3));
    const infos = events.filter((event) => event.type === 'info');
    t.is(infos.length, 4, 'every 5th increment reset the connection: fate unknown');
    // After an info a client continues as a new process: its number plus the client count (2).
    const current = [0, 1];
    for (const { process, type } of events) {
      if (typeof process !== 'number') continue;
      t.is(process, current[process % 2]);
      if (type === 'info') current[process % 2] += 2;
    }
    t.is(current[0] + current[1], 1 + 2 * 4);
  } finally {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('tester check names a missing or malformed history in one line, exit 2', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tester-history-'));
  try {
    const missing = await runTester(['check', path.join(dir, 'none.jsonl')]);
    t.is(missing.code, 2);
    t.regex(missing.stderr, /^tester: .*none\.jsonl does not exist: give a file saved by --history/);
    const cut = '{"index":0,"time":0,"process":"tester","type":"invoke","f":"reset"\n';
    fs.writeFileSync(path.join(dir, 'bad.jsonl'), cut);
    const bad = await runTester(['check', path.join(dir, 'bad.jsonl')]);
    t.is(bad.code, 2);
    t.regex(bad.stderr, /^tester: .*bad\.jsonl line 1: not an event/);
    t.is(bad.stderr.trim().split('\n').length, 1, 'no stack trace');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
