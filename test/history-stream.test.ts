/**
 * A history laid out while the run goes is the history saved whole: for random runs cut into
 * random deliveries at random watermarks, the file is byte for byte the one a plain oracle
 * writes (every stream's next event compared by a linear scan, each line built as a string),
 * and the sinks get every call once, in completion order, with its invoke's index and its
 * Jepsen process.
 */
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import type { CallBatch } from '../tester/check/call-batch.js';
import { History, Outcome, type HistoryData } from '../tester/check/history.js';
import { historyLayout } from '../tester/history/history-layout.js';
import { HistoryStream } from '../tester/history/history-stream.js';
import { type HistoryFormat, writeHistory } from '../tester/history/history-writer.js';
import type { NemesisEvent } from '../tester/history/nemesis-event.js';
import type { ControlOp, RunHistory } from '../tester/history/run-history.js';
import { seededRandom } from './helpers/fuzz.js';
import { randomHistory, SERVER_FAULTS } from './helpers/random-histories.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'history-stream-'));
test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A random run: random calls on a coarse clock (ties are common), control ops, nemesis events. */
function randomRun(random: () => number, i: number): RunHistory {
  const int = (n: number) => Math.floor(random() * n);
  const made = randomHistory(random, SERVER_FAULTS[i % SERVER_FAULTS.length], { maxCalls: 1 + int(30), clients: 4, callsPerClient: 4 });
  const originUs = int(3) === 0 ? 0.25 : int(1000);
  const shift = (us: number) => originUs + us;
  const ops = History.fromData(made.data).data();
  for (let row = 0; row < ops.length; row++) {
    ops.invokeUs[row] = shift(ops.invokeUs[row]);
    ops.completeUs[row] = shift(ops.completeUs[row]);
  }
  const controlOps: ControlOp[] = [
    { f: 'reset', invokeUs: shift(0), completeUs: shift(int(2)), type: 'ok', value: null },
    { f: 'read', invokeUs: shift(1), completeUs: shift(2), type: 'ok', value: made.initial },
  ];
  const final = made.reads[1];
  const [invokeUs, completeUs] = final ? [final.invokeUs, final.completeUs] : [60, 61];
  const read = final ? { type: 'ok' as const, value: final.value } : { type: 'fail' as const, value: null };
  controlOps.push({ f: 'read', invokeUs: shift(invokeUs), completeUs: shift(completeUs), ...read });
  const nemesisEvents: NemesisEvent[] = [];
  for (let n = int(4), time = 0; n > 0; n--) {
    time += int(8) * 1000;
    nemesisEvents.push({ time, f: n % 2 ? 'start-pause' : 'stop-pause', value: `SIGSTOP "worker" ${n}` });
  }
  const clientCount = Math.max(1, ...ops.clientIds.map((c) => c + 1));
  const meta = { counter: 'random', clientCount, promisesExact: true, linearizable: i % 2 === 0, unreadableCount: 0 };
  return { meta, originUs, controlOps, ops, nemesisEvents };
}

/** A longer run than randomHistory makes: enough calls in flight at once to grow every pool. */
function longRun(random: () => number, clientCount: number, callsPerClient: number): RunHistory {
  const int = (n: number) => Math.floor(random() * n);
  const ops = new History();
  const times = new Array<number>(clientCount).fill(3);
  for (let k = 0; k < clientCount * callsPerClient; k++) {
    const client = int(clientCount);
    const invokeUs = (times[client] += int(3));
    const completeUs = (times[client] += int(40));
    const outcome = [Outcome.ok, Outcome.ok, Outcome.ok, Outcome.failed, Outcome.indeterminate][int(5)];
    ops.record(client, invokeUs, completeUs, outcome === Outcome.ok ? int(1000) : undefined, outcome);
  }
  const endUs = Math.max(...times) + 1;
  return {
    meta: { counter: 'long', clientCount, promisesExact: true, linearizable: true, unreadableCount: 0 },
    originUs: 0,
    controlOps: [
      { f: 'read', invokeUs: 0, completeUs: 2, type: 'ok', value: 0 },
      { f: 'read', invokeUs: endUs, completeUs: endUs + 1, type: 'ok', value: 7 },
    ],
    ops: ops.data(),
    nemesisEvents: [{ time: 5000, f: 'start-kill', value: 'x' }],
  };
}

interface OracleEvent {
  timeNs: number;
  phase: number;
  stream: number;
  line: (index: number) => string;
  row?: number;
}

/** Jepsen process of each row, by the rule itself. */
function oracleProcesses(run: RunHistory): number[] {
  const crashes: number[] = [];
  return Array.from(run.ops.clientIds, (client, row) => {
    const k = crashes[client] ?? 0;
    if (run.ops.outcomes[row] === Outcome.indeterminate) crashes[client] = k + 1;
    return client + run.meta.clientCount * k;
  });
}

/** The history as the rules say it: repeatedly the stream whose next event is least by (time, phase, stream). */
function oracle(run: RunHistory, format: HistoryFormat) {
  const ns = (us: number) => Math.round((us - run.originUs) * 1000);
  const edn = format === 'edn';
  const word = (w: string) => (edn ? `:${w}` : `"${w}"`);
  const nil = edn ? 'nil' : 'null';
  const line = (time: number, process: string, type: string, f: string, value: string) => (index: number) =>
    edn
      ? `{:index ${index}, :time ${time}, :process ${process}, :type :${type}, :f :${f}, :value ${value}`
      : `{"index":${index},"time":${time},"process":${process},"type":"${type}","f":"${f}","value":${value}`;
  const streams: OracleEvent[][] = [[], []];
  const put = (stream: number, timeNs: number, phase: number, text: (index: number) => string, row?: number) => {
    while (streams.length <= stream) streams.push([]);
    streams[stream].push({ timeNs, phase, stream, line: text, row });
  };
  run.controlOps.forEach((op) => {
    const [invokeNs, completeNs] = [ns(op.invokeUs), ns(op.completeUs)];
    put(0, invokeNs, 0, line(invokeNs, word('tester'), 'invoke', op.f, nil));
    put(0, completeNs, 2, line(completeNs, word('tester'), op.type, op.f, op.value === null ? nil : String(op.value)));
  });
  const nemesis = run.nemesisEvents.map((event, i) => ({ event, i }));
  nemesis.sort((a, b) => a.event.time - b.event.time || a.i - b.i);
  for (const { event } of nemesis) {
    put(1, event.time, 1, line(event.time, word('nemesis'), 'info', event.f, JSON.stringify(event.value)));
  }
  const processes = oracleProcesses(run);
  const { ops } = run;
  for (let row = 0; row < ops.length; row++) {
    const stream = 2 + ops.clientIds[row];
    const types = ['ok', 'fail', 'info'];
    const type = types[ops.outcomes[row]];
    const value = type === 'ok' && !Number.isNaN(ops.values[row]) ? String(ops.values[row]) : nil;
    const p = String(processes[row]);
    const [invokeNs, completeNs] = [ns(ops.invokeUs[row]), ns(ops.completeUs[row])];
    put(stream, invokeNs, 0, line(invokeNs, p, 'invoke', 'inc', nil), row);
    put(stream, completeNs, 2, line(completeNs, p, type, 'inc', value), row);
  }
  const order: OracleEvent[] = [];
  for (;;) {
    let best: OracleEvent | undefined;
    let bestStream = -1;
    streams.forEach((events, s) => {
      const head = events[0];
      if (!head) return;
      if (!best || head.timeNs < best.timeNs || (head.timeNs === best.timeNs && head.phase < best.phase)) {
        best = head;
        bestStream = s;
      }
    });
    if (bestStream < 0) break;
    order.push(streams[bestStream].shift()!);
  }
  const run0 = edn ? ednRun(run.meta) : `,"run":${JSON.stringify(run.meta)}`;
  const text = order.map((event, k) => `${event.line(k)}${k === 0 ? run0 : ''}}\n`).join('');
  const invokeIndex = new Map<number, number>();
  order.forEach((event, k) => event.row !== undefined && event.phase === 0 && invokeIndex.set(event.row, k));
  const completions = order.filter((event) => event.row !== undefined && event.phase === 2).map((event) => event.row!);
  return { text, invokeIndex, completions, processes };
}

function ednRun(meta: RunHistory['meta']): string {
  const fields = Object.entries(meta).map(([key, value]) => `:${key} ${typeof value === 'string' ? JSON.stringify(value) : value}`);
  return `, :run {${fields.join(', ')}}`;
}

/** The rows of `data` in `rows`, as columns. */
function rowsOf(data: HistoryData, rows: number[]): HistoryData {
  const part = new History(rows.length);
  for (const row of rows) {
    const value = Number.isNaN(data.values[row]) ? undefined : data.values[row];
    part.record(data.clientIds[row], data.invokeUs[row], data.completeUs[row], value, data.outcomes[row] as Outcome);
  }
  return part.data();
}

/** Feeds `run` as a load would: cut at random watermarks, clients' calls interleaved at random, nemesis events appearing in time. */
function streamRun(run: RunHistory, random: () => number, file: string | undefined, format: HistoryFormat) {
  const batches: CallBatch[] = [];
  const copy = (batch: CallBatch): CallBatch => ({
    ...batch,
    clientIds: batch.clientIds.slice(),
    invokeUs: batch.invokeUs.slice(),
    completeUs: batch.completeUs.slice(),
    values: batch.values.slice(),
    outcomes: batch.outcomes.slice(),
    invokeIndex: batch.invokeIndex.slice(),
    processes: batch.processes.slice(),
  });
  const liveNemesis: NemesisEvent[] = [];
  const stream = new HistoryStream({
    file: file === undefined ? undefined : { path: file, format },
    meta: run.meta,
    originUs: run.originUs,
    controlOps: run.controlOps.slice(0, -1),
    nemesisEvents: liveNemesis,
    sinks: [{ add: (batch) => batches.push(copy(batch)) }],
  });
  const { ops } = run;
  const byClient = new Map<number, number[]>();
  for (let row = 0; row < ops.length; row++) byClient.set(ops.clientIds[row], [...(byClient.get(ops.clientIds[row]) ?? []), row]);
  const deliveredRows: number[] = [];
  // The tester's final read begins after the load: after every finite watermark.
  const lastUs = run.controlOps.at(-1)!.invokeUs;
  let watermarkUs = run.originUs;
  while ([...byClient.values()].some((rows) => rows.length > 0)) {
    watermarkUs = Math.min(lastUs, watermarkUs + Math.floor(random() * 6));
    const last = watermarkUs === lastUs;
    const rows: number[][] = [];
    for (const waiting of byClient.values()) {
      let n = 0;
      while (n < waiting.length && ops.invokeUs[waiting[n]] < watermarkUs) n++;
      if (random() < 0.3 || last) n = last ? waiting.length : Math.min(waiting.length, n + 1 + Math.floor(random() * 2));
      rows.push(waiting.splice(0, n));
    }
    const interleaved: number[] = [];
    while (rows.some((r) => r.length > 0)) {
      const from = rows.filter((r) => r.length > 0);
      interleaved.push(from[Math.floor(random() * from.length)].shift()!);
    }
    const boundNs = Math.round((watermarkUs - run.originUs) * 1000);
    // The live array grows at its end, by time; an event may be in before its time is due.
    const events = run.nemesisEvents;
    while (liveNemesis.length < events.length && (events[liveNemesis.length].time < boundNs || random() < 0.1)) {
      liveNemesis.push(events[liveNemesis.length]);
    }
    deliveredRows.push(...interleaved);
    stream.deliver(rowsOf(ops, interleaved), last ? Infinity : watermarkUs);
  }
  liveNemesis.push(...run.nemesisEvents.slice(liveNemesis.length));
  stream.finish(run.controlOps.slice(-1));
  return { batches, deliveredRows };
}

for (const format of ['jsonl', 'edn'] as HistoryFormat[]) {
  const title = `${format}: 300 random runs cut into random deliveries save the oracle's bytes, and the sinks get each call in completion order`;
  test(title, (t) => {
    const random = seededRandom(format === 'jsonl' ? 26 : 62);
    for (let i = 0; i < 300; i++) {
      const run = randomRun(random, i);
      const expected = oracle(run, format);
      const file = path.join(dir, `run-${i}.${format}`);
      const { batches, deliveredRows } = streamRun(run, random, file, format);
      t.is(fs.readFileSync(file, 'utf8'), expected.text, `run ${i}`);

      // Rows arrive in delivery order in the stream; the oracle names them by RunHistory row.
      const rows = batches.flatMap((batch) => Array.from({ length: batch.length }, (_, r) => ({ batch, r })));
      t.deepEqual(batches.map((b) => b.firstRow), batches.map((_, b) => batches.slice(0, b).reduce((n, x) => n + x.length, 0)));
      t.is(rows.length, expected.completions.length);
      rows.forEach(({ batch, r }, n) => {
        const row = expected.completions[n];
        const { clientIds, invokeUs, completeUs, outcomes } = run.ops;
        const got = [batch.clientIds[r], batch.invokeUs[r], batch.completeUs[r], batch.outcomes[r]];
        const want = [clientIds[row], invokeUs[row], completeUs[row], outcomes[row]];
        got.push(batch.invokeIndex[r], batch.processes[r]);
        want.push(expected.invokeIndex.get(row)!, expected.processes[row]);
        t.deepEqual(got, want, `run ${i} row ${n}`);
        t.true(Object.is(batch.values[r], run.ops.values[row]) || batch.values[r] === run.ops.values[row]);
      });
      t.is(deliveredRows.length, run.ops.length);
      fs.rmSync(file);
    }
  });
}

test('a whole history saves as the oracle says, and its layout names the same invokes and processes', (t) => {
  const random = seededRandom(2026);
  for (let i = 0; i < 200; i++) {
    const run = randomRun(random, i);
    const expected = oracle(run, 'jsonl');
    const file = path.join(dir, `whole-${i}.jsonl`);
    writeHistory(file, run);
    t.is(fs.readFileSync(file, 'utf8'), expected.text, `run ${i}`);
    const layout = historyLayout(run);
    t.deepEqual([...layout.invokeIndex], Array.from({ length: run.ops.length }, (_, row) => expected.invokeIndex.get(row)));
    t.deepEqual([...layout.processes], expected.processes);
    fs.rmSync(file);
  }
});

test('without a file the calls still reach the sinks, laid out the same', (t) => {
  const random = seededRandom(7);
  for (let i = 0; i < 50; i++) {
    const run = randomRun(random, i);
    const expected = oracle(run, 'jsonl');
    const { batches } = streamRun(run, random, undefined, 'jsonl');
    t.deepEqual(batches.flatMap((batch) => [...batch.invokeIndex]), expected.completions.map((row) => expected.invokeIndex.get(row)));
  }
});

test('.gz saves the same lines, gzip members that gunzip reads as one stream', (t) => {
  const run = randomRun(seededRandom(3), 0);
  const file = path.join(dir, 'run.jsonl.gz');
  writeHistory(file, run);
  const bytes = fs.readFileSync(file);
  t.deepEqual([...bytes.subarray(0, 2)], [0x1f, 0x8b]);
  t.is(zlib.gunzipSync(bytes).toString('utf8'), oracle(run, 'jsonl').text);
});

test('what the run knows only at its end rides on the last line; the first keeps what it knew at the start', (t) => {
  const run = randomRun(seededRandom(5), 1);
  const file = path.join(dir, 'ends.jsonl');
  const { unreadableCount: _, ...start } = run.meta;
  const stream = new HistoryStream({
    file: { path: file, format: 'jsonl' },
    meta: start,
    originUs: run.originUs,
    controlOps: run.controlOps.slice(0, 2),
    nemesisEvents: run.nemesisEvents,
  });
  stream.deliver(run.ops, Infinity);
  const thresholds = [{ flag: '--max-errors' as const, limit: 0, actual: 1, unit: 'errors' as const, passed: false }];
  stream.finish(run.controlOps.slice(2), { unreadableCount: 2, thresholds });
  const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line));
  t.deepEqual(lines[0].run, start);
  t.deepEqual(lines.at(-1).run, { unreadableCount: 2, thresholds });
  t.true(lines.slice(1, -1).every((line) => line.run === undefined));
});

test('a long run with thousands of calls in flight saves the oracle\'s bytes too', (t) => {
  const random = seededRandom(11);
  const run = longRun(random, 300, 80);
  const file = path.join(dir, 'long.jsonl');
  const { batches } = streamRun(run, random, file, 'jsonl');
  const expected = oracle(run, 'jsonl');
  t.is(fs.readFileSync(file, 'utf8'), expected.text);
  t.deepEqual(batches.flatMap((batch) => [...batch.invokeIndex]), expected.completions.map((row) => expected.invokeIndex.get(row)));
});

test('a call or a nemesis event delivered after its watermark is refused: the history would run backwards', (t) => {
  const nemesisEvents: NemesisEvent[] = [];
  const meta = { counter: 'late', clientCount: 1, promisesExact: true, linearizable: true };
  const options = { meta, originUs: 0, controlOps: [], nemesisEvents };
  const calls = (invokeUs: number) => {
    const history = new History();
    history.record(0, invokeUs, invokeUs + 1, 1, Outcome.ok);
    return history.data();
  };
  const stream = new HistoryStream(options);
  stream.deliver(calls(10), 20);
  t.throws(() => stream.deliver(calls(15), 30), { message: /^a call invoked at 15 µs came after the watermark 20 µs was delivered/ });
  const other = new HistoryStream(options);
  other.deliver(calls(10), 20);
  nemesisEvents.push({ time: 19_000, f: 'start-pause', value: '' });
  t.throws(() => other.deliver(calls(25), 30), { message: /^a nemesis event at 19000 ns came after the watermark 20000 ns/ });
});
