/**
 * Reading a history on a thread of its own (what `tester check` does) hands the sink what
 * reading on this thread does: the same batches in the same order, the same rest and warnings
 * (a torn last line, a gzip member cut short), or the same one-line error for a file it cannot
 * take; a sink's own failure comes out as it was and stops the reading thread, even one waiting
 * for the ring of shared batches to free a slot.
 */
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import type { CallBatch, CallSink } from '../tester/check/call-batch.js';
import { BATCH_ROWS } from '../tester/history/call-batches.js';
import { streamHistoryInWorker } from '../tester/history/history-reader-thread.js';
import { HistoryError, streamHistory } from '../tester/history/history-reader.js';
import { seededRandom } from './helpers/fuzz.js';
import { copyOf, rowsOf, savedRun, sinkInto } from './helpers/saved-runs.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'history-reader-thread-'));
test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));

type Reader = typeof streamHistory;

/** Everything a reader gives: the rows its sink got, then the rest or the error's class and message. */
async function outcome(read: Reader, file: string) {
  const batches: CallBatch[] = [];
  try {
    const rest = await read(file, sinkInto(batches));
    return { rows: rowsOf(batches, 0), rest };
  } catch (err) {
    return { rows: rowsOf(batches, 0), error: `${(err as Error).constructor.name}: ${(err as Error).message}` };
  }
}

async function sameAsHere(file: string) {
  const [here, aside] = [await outcome(streamHistory, file), await outcome(streamHistoryInWorker, file)];
  return { here, aside };
}

/** A run of one client's `calls` increments, as JSON lines. */
function longRun(calls: number): Buffer {
  const run = { counter: 'web', clientCount: 1, promisesExact: true, linearizable: true };
  const lines = [`{"index":0,"time":0,"process":"tester","type":"invoke","f":"read","value":null,"run":${JSON.stringify(run)}}`];
  lines.push('{"index":1,"time":1,"process":"tester","type":"ok","f":"read","value":0}');
  for (let i = 1; i <= calls; i++) {
    lines.push(`{"index":${2 * i},"time":${2 * i},"process":0,"type":"invoke","f":"inc","value":null}`);
    lines.push(`{"index":${2 * i + 1},"time":${2 * i + 1},"process":0,"type":"ok","f":"inc","value":${i}}`);
  }
  return Buffer.from(lines.join('\n') + '\n');
}

for (const name of ['run.jsonl', 'run.edn', 'run.jsonl.gz', 'run.edn.gz']) {
  test(`${name}: the same batches, rest and warnings as a read on this thread`, async (t) => {
    const random = seededRandom(name.length + 7);
    for (let i = 0; i < 12; i++) {
      const file = path.join(dir, `${i}-${name}`);
      const saved = savedRun(random, i, file, name.includes('edn') ? 'edn' : 'jsonl');
      const { here, aside } = await sameAsHere(file);
      t.deepEqual(aside, here, `run ${i}`);
      t.deepEqual(aside.rows, rowsOf(saved.batches, saved.originUs), `run ${i}`);
    }
  });
}

test('more calls than the ring holds arrive whole and in order, the reader waiting for the judge', async (t) => {
  const file = path.join(dir, 'long.jsonl');
  fs.writeFileSync(file, longRun(20 * BATCH_ROWS));
  let slow = 0;
  // A sink slower than the reader: the reader fills the ring and waits.
  const sink = (batches: CallBatch[]): CallSink => ({
    add(batch) {
      for (let spin = 0; spin < 200_000; spin++) slow += spin & 1;
      batches.push(copyOf(batch));
    },
  });
  const [here, aside]: CallBatch[][] = [[], []];
  const rests = [await streamHistory(file, sink(here)), await streamHistoryInWorker(file, sink(aside))];
  t.true(slow > 0);
  t.deepEqual(rowsOf(aside, 0), rowsOf(here, 0));
  t.is(aside.reduce((sum, batch) => sum + batch.length, 0), 20 * BATCH_ROWS);
  t.deepEqual(rests[1], rests[0]);
});

test('a history cut anywhere, plain or gzip: the same rows and the same warnings', async (t) => {
  const file = path.join(dir, 'whole.jsonl');
  savedRun(seededRandom(3), 5, file, 'jsonl');
  const bytes = fs.readFileSync(file);
  const gz = zlib.gzipSync(bytes);
  for (const [whole, name] of [[bytes, 'cut.jsonl'], [gz, 'cut.jsonl.gz']] as const) {
    for (let cut = 1; cut < whole.length; cut += Math.ceil(whole.length / 40)) {
      fs.writeFileSync(path.join(dir, name), whole.subarray(0, cut));
      const { here, aside } = await sameAsHere(path.join(dir, name));
      t.deepEqual(aside, here, `${name} cut at ${cut}`);
    }
  }
});

test("a file the reader cannot take: the reading thread's error is the same one line", async (t) => {
  const file = path.join(dir, 'good.jsonl');
  savedRun(seededRandom(5), 1, file, 'jsonl');
  const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
  const back = [...lines];
  back[4] = back[4].replace(/"time":\d+/, '"time":0');
  const badGzip = zlib.gzipSync(Buffer.from(lines.join('\n')));
  badGzip[12] ^= 0xff;
  const hostile: [string, string | Buffer][] = [
    ['back.jsonl', back.join('\n')],
    ['garbage.jsonl', [lines[0], '{"index": oops', ...lines.slice(1)].join('\n')],
    ['long-line.jsonl', `${lines[0]}\n${'x'.repeat(2 << 20)}\n`],
    ['bad.jsonl.gz', badGzip],
    ['empty.jsonl', ''],
  ];
  for (const [name, text] of hostile) {
    fs.writeFileSync(path.join(dir, name), text);
    const { here, aside } = await sameAsHere(path.join(dir, name));
    t.regex(aside.error ?? '', new RegExp(`^HistoryError: .*${name.replace('.', '\\.')}`), name);
    t.deepEqual(aside, here, name);
  }
  await t.throwsAsync(streamHistoryInWorker(path.join(dir, 'none.jsonl'), { add: () => {} }), {
    instanceOf: HistoryError,
    message: /none\.jsonl: cannot read it \(ENOENT/,
  });
});

test("a sink's own failure comes out as it was, and stops the reading thread waiting for a slot", async (t) => {
  const file = path.join(dir, 'failing.jsonl');
  fs.writeFileSync(file, longRun(40 * BATCH_ROWS));
  const bug = new TypeError('the judge tripped');
  let batches = 0;
  const error = await t.throwsAsync(
    streamHistoryInWorker(file, {
      add() {
        if (++batches === 3) throw bug;
      },
    }),
  );
  t.is(error, bug);
  const refused = new HistoryError('no such run');
  const opening = await t.throwsAsync(streamHistoryInWorker(file, () => { throw refused; }));
  t.is(opening, refused);
});

test('the sink is opened with the head, before the first batch', async (t) => {
  const file = path.join(dir, 'head.jsonl');
  savedRun(seededRandom(1), 0, file, 'jsonl');
  const heads: unknown[] = [];
  let batchesBefore = -1;
  let batches = 0;
  await streamHistoryInWorker(file, (head) => {
    heads.push(head);
    batchesBefore = batches;
    return { add: () => batches++ };
  });
  t.is(heads.length, 1);
  t.is(batchesBefore, 0);
  t.like(heads[0], { meta: { counter: 'random', clientCount: 4 }, originUs: 0, controlOps: [{ f: 'read', type: 'ok' }] });
});
