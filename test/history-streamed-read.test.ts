/**
 * Reading a history as a stream: the sink gets what the writer's sinks got (each call in
 * completion order, its invoke's index and its Jepsen process), plain, EDN or gzip; a history
 * cut anywhere (a killed tester) reads as far as it goes with one warning per cut; times that
 * go back are refused in one line.
 */
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import type { CallBatch } from '../tester/check/call-batch.js';
import { collectHistory, HistoryError, readHistory, streamHistory } from '../tester/history/history-reader.js';
import type { RunHistory } from '../tester/history/run-history.js';
import { seededRandom } from './helpers/fuzz.js';
import { rowsOf, savedRun, sinkInto } from './helpers/saved-runs.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'history-streamed-read-'));
test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

const RUN = JSON.stringify({ counter: 'web', clientCount: 2, promisesExact: true, linearizable: true });

for (const name of ['run.jsonl', 'run.edn', 'run.jsonl.gz', 'run.edn.gz']) {
  test(`${name}: the reader's sink gets the calls the writer's sinks got, and the metadata of both ends`, async (t) => {
    const random = seededRandom(name.length);
    for (let i = 0; i < 100; i++) {
      const file = path.join(dir, `${i}-${name}`);
      const saved = savedRun(random, i, file, name.includes('edn') ? 'edn' : 'jsonl');
      const batches: CallBatch[] = [];
      const rest = await streamHistory(file, sinkInto(batches));
      t.deepEqual(rowsOf(batches, 0), rowsOf(saved.batches, saved.originUs), `run ${i}`);
      t.deepEqual(rest.meta, saved.meta);
      t.deepEqual(rest.warnings, []);
      t.deepEqual(rest.nemesisEvents, [{ time: 3000, f: 'start-pause', value: 'SIGSTOP' }]);
      fs.rmSync(file);
    }
  });
}

test('the sink may be opened once the head is read: the metadata and the initial read come first', async (t) => {
  const file = path.join(dir, 'head.jsonl');
  savedRun(seededRandom(1), 0, file, 'jsonl');
  let head: unknown;
  await streamHistory(file, (read) => {
    head = structuredClone(read);
    return { add: () => {} };
  });
  t.like(head, { meta: { counter: 'random', clientCount: 4 }, originUs: 0, controlOps: [{ f: 'read', type: 'ok' }] });
});

test('a history cut at any byte reads as far as it goes: a torn last line and the missing end are one warning each', async (t) => {
  const file = path.join(dir, 'whole.jsonl');
  savedRun(seededRandom(9), 4, file, 'jsonl');
  const bytes = fs.readFileSync(file);
  const secondLine = bytes.indexOf('\n'.charCodeAt(0), bytes.indexOf('\n'.charCodeAt(0)) + 1) + 1;
  for (let cut = secondLine; cut < bytes.length - 1; cut += 23) {
    const lineEnd = bytes.lastIndexOf('\n'.charCodeAt(0), cut - 1) + 1;
    // A last line cut just before its newline is whole: it counts.
    const whole = isJson(bytes.subarray(lineEnd, cut).toString());
    fs.writeFileSync(path.join(dir, 'cut.jsonl'), bytes.subarray(0, cut));
    fs.writeFileSync(path.join(dir, 'lines.jsonl'), whole ? `${bytes.subarray(0, cut)}\n` : bytes.subarray(0, lineEnd));
    const { warnings, ...cutShort } = await collectHistory(path.join(dir, 'cut.jsonl'));
    const { warnings: lineWarnings, ...wholeLines } = await collectHistory(path.join(dir, 'lines.jsonl'));
    t.deepEqual(cutShort, wholeLines);
    const torn = cut === lineEnd || whole ? [] : [`line ${bytes.subarray(0, cut).toString().split('\n').length} is cut short`];
    t.deepEqual(warnings.map((w) => w.replace(/ \(.*/, '')), [...torn, "it ends before the run's last line"]);
    t.deepEqual(lineWarnings.map((w) => w.replace(/ \(.*/, '')), ["it ends before the run's last line"]);
    // Unknown: such a run never passes.
    t.true(Number.isNaN(cutShort.meta.unreadableCount));
  }
});

test('a gzip history cut inside a member yields what the member held, with a warning', async (t) => {
  const plain = path.join(dir, 'long.jsonl');
  const run = { counter: 'web', clientCount: 1, promisesExact: true, linearizable: true };
  const lines = [`{"index":0,"time":0,"process":"tester","type":"invoke","f":"read","value":null,"run":${JSON.stringify(run)}}`];
  lines.push('{"index":1,"time":1,"process":"tester","type":"ok","f":"read","value":0}');
  for (let i = 1; i <= 60_000; i++) {
    lines.push(`{"index":${2 * i},"time":${2 * i},"process":0,"type":"invoke","f":"inc","value":null}`);
    lines.push(`{"index":${2 * i + 1},"time":${2 * i + 1},"process":0,"type":"ok","f":"inc","value":${i}}`);
  }
  const text = Buffer.from(lines.join('\n') + '\n');
  fs.writeFileSync(plain, text);
  // Members as the writer makes them: one per flush.
  const parts = [text.subarray(0, 1 << 20), text.subarray(1 << 20, 2 << 20), text.subarray(2 << 20)];
  const members = parts.map((part) => zlib.gzipSync(part));
  const gz = Buffer.concat(members);
  const cutAt = members[0].length + Math.floor(members[1].length / 2);
  fs.writeFileSync(path.join(dir, 'cut.jsonl.gz'), gz.subarray(0, cutAt));
  const inflated = zlib.gunzipSync(gz.subarray(0, cutAt), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  fs.writeFileSync(path.join(dir, 'inflated.jsonl'), inflated.subarray(0, inflated.lastIndexOf('\n'.charCodeAt(0)) + 1));
  const { warnings, ...read } = await collectHistory(path.join(dir, 'cut.jsonl.gz'));
  const { warnings: _, ...expected } = await collectHistory(path.join(dir, 'inflated.jsonl'));
  t.deepEqual(read, expected);
  t.true(read.ops.length > 10_000);
  t.regex(warnings[0], /^its last gzip member is cut short/);
  t.regex(warnings[1], /^line \d+ is cut short/);
  // Whole, the members read as the plain file does.
  fs.writeFileSync(path.join(dir, 'whole.jsonl.gz'), gz);
  t.deepEqual(await collectHistory(path.join(dir, 'whole.jsonl.gz')), await collectHistory(plain));
  t.deepEqual(readHistory(plain), (({ warnings: __, ...history }) => history)(await collectHistory(plain)) as RunHistory);
});

test('gzip that does not inflate is refused in one line', async (t) => {
  const gz = zlib.gzipSync(Buffer.from('{"index":0}\n'));
  gz[12] ^= 0xff;
  fs.writeFileSync(path.join(dir, 'bad.gz'), gz);
  const error = await t.throwsAsync(collectHistory(path.join(dir, 'bad.gz')), { instanceOf: HistoryError });
  t.regex(error!.message, /bad\.gz: not gzip as it claims \([^\n]+\)$/);
});

test('times that go back are refused in one line: the judge reads a history in time order', async (t) => {
  const lines = [
    `{"index":0,"time":0,"process":"tester","type":"invoke","f":"read","value":null,"run":${RUN}}`,
    '{"index":1,"time":1000,"process":"tester","type":"ok","f":"read","value":0}',
    '{"index":2,"time":3000,"process":0,"type":"invoke","f":"inc","value":null}',
    '{"index":3,"time":2000,"process":1,"type":"invoke","f":"inc","value":null}',
  ];
  fs.writeFileSync(path.join(dir, 'back.jsonl'), lines.join('\n') + '\n');
  const error = await t.throwsAsync(collectHistory(path.join(dir, 'back.jsonl')), { instanceOf: HistoryError });
  t.regex(error!.message, /back\.jsonl line 4: time 2000 is before the previous event's \(3000\): a history is in time order$/);
});

test("a later line's run holds only what a run knows at its end", async (t) => {
  const lines = [
    `{"index":0,"time":0,"process":"tester","type":"invoke","f":"read","value":null,"run":${RUN}}`,
    '{"index":1,"time":1000,"process":"tester","type":"ok","f":"read","value":0,"run":{"clientCount":3}}',
  ];
  fs.writeFileSync(path.join(dir, 'later.jsonl'), lines.join('\n') + '\n');
  const error = await t.throwsAsync(collectHistory(path.join(dir, 'later.jsonl')), { instanceOf: HistoryError });
  t.regex(error!.message, /later\.jsonl line 2: run\.clientCount after the first line: only unreadableCount and thresholds come later$/);
});

test("a sink's own failure comes out as it was, not as a file that cannot be read", async (t) => {
  const file = path.join(dir, 'sink.jsonl');
  savedRun(seededRandom(2), 0, file, 'jsonl');
  const bug = new TypeError('the judge tripped');
  const error = await t.throwsAsync(streamHistory(file, { add: () => { throw bug; } }));
  t.is(error, bug);
});

test('the synchronous readHistory names a gzip file for what it is', (t) => {
  const file = path.join(dir, 'sync.jsonl.gz');
  savedRun(seededRandom(4), 0, file, 'jsonl');
  t.throws(() => readHistory(file), { instanceOf: HistoryError, message: /sync\.jsonl\.gz: compressed \(gzip\): read it as a stream/ });
});
