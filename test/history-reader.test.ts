/**
 * Reading a saved history: lines are scanned in place in the file's bytes, our own spelling
 * and any other rendering of the same events (Jepsen's key orders, spacing, commas, nil,
 * keywords or strings) alike; what the scanner leaves goes to the generic parsers, and garbage
 * is named by its line.
 */
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { scanEvent } from '../tester/history/event-scanner.js';
import type { ScannedEvent } from '../tester/history/scanned-event.js';
import { ByteWriter } from '../tester/history/byte-writer.js';
import { forEachLine, MAX_LINE_BYTES } from '../tester/history/line-reader.js';
import { HistoryError, readHistory } from '../tester/history/history-reader.js';
import { type HistoryFormat, writeHistory } from '../tester/history/history-writer.js';

const META = { counter: 'hand-made', clientCount: 2, promisesExact: true, linearizable: true, unreadableCount: 0 };
const RUN = `"run":${JSON.stringify(META)}`;
const EDN_RUN =
  ':run {:counter "hand-made", :clientCount 2, :promisesExact true, :linearizable true, :unreadableCount 0}';

function withFile<T>(name: string, text: string, use: (file: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'history-reader-'));
  try {
    fs.writeFileSync(path.join(dir, name), text);
    return use(path.join(dir, name));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const historyFrom = (lines: string[], name = 'run.jsonl') =>
  withFile(name, lines.join('\n') + '\n', (file) => readHistory(file));

function scanned(line: string, format: HistoryFormat): ScannedEvent | undefined {
  const into: ScannedEvent = { time: -1, process: -1, type: '', f: '', value: -1 };
  const bytes = Buffer.from(`garbage before${line}\nand after`);
  const start = 'garbage before'.length;
  return scanEvent(bytes, start, start + Buffer.byteLength(line), format, into) ? into : undefined;
}

const OK_42 = { time: 3000000, process: 12, type: 'ok', f: 'inc', value: -42 };

test('our own lines and every other spelling of the same event scan alike, in place', (t) => {
  const spellings: Array<[HistoryFormat, string]> = [
    ['jsonl', '{"index":7,"time":3000000,"process":12,"type":"ok","f":"inc","value":-42}'],
    ['jsonl', '{ "type": "ok", "f": "inc", "value": -42, "process": 12, "time": 3000000, "index": 7 }\r'],
    ['jsonl', '{"time":3000000,"process":12,"type":"ok","f":"inc","value":-42,"error":"none","ms":15}'],
    ['edn', '{:index 7, :time 3000000, :process 12, :type :ok, :f :inc, :value -42}'],
    ['edn', '{:type :ok, :f :inc, :value -42, :process 12, :time 3000000, :index 7}'],
    ['edn', '{:process 12 :type :ok :f :inc :value -42 :time 3000000}'],
    ['edn', ' {:process 12,, :type "ok", :f "inc", :value -42, :time 3000000, :error :timeout, :ok? true}\r'],
  ];
  for (const [format, line] of spellings) t.deepEqual(scanned(line, format), OK_42, line);
});

test('the scanner reads nil, keywords, strings for process, and leaves value out when Jepsen does', (t) => {
  t.deepEqual(scanned('{:type :invoke, :f :inc, :process 0, :time 5}', 'edn'), {
    time: 5,
    process: 0,
    type: 'invoke',
    f: 'inc',
    value: null,
  });
  const nemesis = { time: 9, process: 'nemesis', type: 'info', f: 'start-partition', value: 'cut node 2 off' };
  const nemesisLines: Array<[HistoryFormat, string]> = [
    ['edn', '{:index 1, :time 9, :process :nemesis, :type :info, :f :start-partition, :value "cut node 2 off"}'],
    ['edn', '{:process "nemesis", :type :info, :f :start-partition, :value "cut node 2 off", :time 9}'],
    ['jsonl', '{"process":"nemesis","type":"info","f":"start-partition","value":"cut node 2 off","time":9}'],
  ];
  for (const [format, line] of nemesisLines) t.deepEqual(scanned(line, format), nemesis, line);
  t.deepEqual(scanned('{"index":0,"time":0,"process":"tester","type":"invoke","f":"read","value":null}', 'jsonl'), {
    time: 0,
    process: 'tester',
    type: 'invoke',
    f: 'read',
    value: null,
  });
  t.deepEqual(scanned('{:time 999999999999999, :process 3, :type :ok, :f :inc, :value 123456789012345}', 'edn'), {
    time: 999999999999999,
    process: 3,
    type: 'ok',
    f: 'inc',
    value: 123456789012345,
  });
});

test('the scanner leaves to the parsers what it does not wholly understand', (t) => {
  const left: Array<[HistoryFormat, string]> = [
    ['jsonl', '{"time":3000000,"process":12,"type":"ok","f":"inc","value":1.5}'],
    ['jsonl', '{"time":30000000000000000,"process":12,"type":"ok","f":"inc","value":1}'],
    ['jsonl', '{"time":1,"process":12,"type":"ok","f":"inc","value":1,"error":{"why":"x"}}'],
    ['jsonl', '{"time":1,"process":"nemesis","type":"info","f":"start","value":"a \\"quoted\\" word"}'],
    ['jsonl', '{"time":1 "process":12,"type":"ok","f":"inc"}'],
    ['jsonl', '{"time":1,"process":12,"type":"ok","f":"inc",}'],
    ['jsonl', "{'time':1,'process':12,'type':'ok','f':'inc'}"],
    ['jsonl', '{"time":1,"process":12,"type":"ok","f":"inc"} trailing'],
    ['jsonl', '{:time 1, :process 12, :type :ok, :f :inc}'],
    ['edn', '{:time 1, :process 12, :type :ok, :f :inc, :value 7N}'],
    ['edn', '{:time 1, :process 12, :type :ok, :f :inc, :value 007}'],
    ['edn', '{:time 1, :process 12, :type :ok, :f :inc, :error [:timeout "read"]}'],
    ['edn', '{:time 1, :process 12, :type :ok, :f :inc'],
    ['edn', '{"time" 1, :process 12, :type :ok, :f :inc}'],
    ['edn', '{:time 1, :process 12, :type :ok}'],
    ['edn', '{:time 1, :process 12, :type :maybe, :f :inc}'],
    ['edn', '{:time :soon, :process 12, :type :ok, :f :inc}'],
    ['edn', '#jepsen.history.Op{:time 1, :process 12, :type :ok, :f :inc}'],
    ['edn', ''],
  ];
  for (const [format, line] of left) t.is(scanned(line, format), undefined, line);
});

test('a history spelled by another tool (key order, spaces) reads as ours does', (t) => {
  const ours = historyFrom([
    `{"index":0,"time":0,"process":"tester","type":"invoke","f":"read","value":null,${RUN}}`,
    '{"index":1,"time":1000,"process":"tester","type":"ok","f":"read","value":0}',
    '{"index":2,"time":2000,"process":1,"type":"invoke","f":"inc","value":null}',
    '{"index":3,"time":3000,"process":1,"type":"info","f":"inc","value":null}',
    '{"index":4,"time":4000,"process":3,"type":"invoke","f":"inc","value":null}',
    '{"index":5,"time":5000,"process":3,"type":"ok","f":"inc","value":2}',
  ]);
  const theirs = historyFrom([
    `{"index": 0, "time": 0, "process": "tester", "type": "invoke", "f": "read", "value": null, ${RUN}}`,
    '{"type": "ok", "f": "read", "value": 0, "index": 1, "time": 1000, "process": "tester"}',
    '',
    '{"process": 1, "type": "invoke", "f": "inc", "index": 2, "time": 2000}',
    '{"process": 1, "type": "info", "f": "inc", "index": 3, "time": 3000, "error": "timeout"}',
    '{"process": 3, "type": "invoke", "f": "inc", "index": 4, "time": 4000, "value": null}',
    '{"process": 3, "type": "ok", "f": "inc", "index": 5, "time": 5000, "value": 2}',
  ]);
  t.deepEqual(theirs, ours);
  // Process 3 after process 1's info is client 1 again (3 mod 2 clients).
  t.deepEqual([...ours.ops.clientIds], [1, 1]);
  t.deepEqual([...ours.ops.values], [NaN, 2]);
});

test("Jepsen's renderings of an EDN history read as the one we write", (t) => {
  const lines = [
    `{:index 0, :time 0, :process :tester, :type :invoke, :f :read, :value nil, ${EDN_RUN}}`,
    '{:index 1, :time 1000, :process :tester, :type :ok, :f :read, :value 0}',
    '{:index 2, :time 2000, :process 1, :type :invoke, :f :inc, :value nil}',
    '{:index 3, :time 2500, :process :nemesis, :type :info, :f :start-pause, :value "SIGSTOP worker"}',
    '{:index 4, :time 3000, :process 1, :type :info, :f :inc, :value nil}',
    '{:index 5, :time 4000, :process 3, :type :invoke, :f :inc, :value nil}',
    '{:index 6, :time 5000, :process 3, :type :ok, :f :inc, :value 2}',
    '{:index 7, :time 5500, :process 0, :type :invoke, :f :inc, :value nil}',
    '{:index 8, :time 6000, :process 0, :type :fail, :f :inc, :value nil}',
  ];
  const ours = historyFrom(lines, 'run.edn');
  const jepsens = historyFrom(
    [
      '',
      `{:type :invoke, :f :read, :value nil, :process :tester, :time 0, :index 0, ${EDN_RUN}}`,
      '{:process :tester :type :ok :f :read :value 0 :index 1 :time 1000}',
      '{:type :invoke, :f :inc, :process 1, :time 2000, :index 2}',
      '{:type :info, :f :start-pause, :value [:pause "SIGSTOP worker"], :process :nemesis, :time 2500}',
      '{:type :info, :f :inc, :value nil, :process 1, :time 3000, :index 4, :error [:timeout 100]}\r',
      '  {:type :invoke,, :f :inc, :value nil, :process 3, :time 4000, :index 5}  ',
      '{:type :ok, :f "inc", :value 2, :process 3, :time 5000, :index 6}',
      '{:type :invoke, :f :inc, :value nil, :process 0, :time 5500, :index 7}',
      '{:type :fail, :f :inc, :value nil, :process 0, :time 6000, :index 8, :error "refused"}',
    ],
    'jepsen.edn',
  );
  t.deepEqual(jepsens.ops, ours.ops);
  t.deepEqual(jepsens.controlOps, ours.controlOps);
  t.deepEqual(ours.nemesisEvents, [{ time: 2500, f: 'start-pause', value: 'SIGSTOP worker' }]);
  t.deepEqual(jepsens.nemesisEvents, [{ time: 2500, f: 'start-pause', value: '["pause","SIGSTOP worker"]' }]);
  t.deepEqual([...ours.ops.outcomes], [2, 0, 1]);
});

test('a history written by --history reads back as the run it saved, in both formates', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'history-reader-'));
  try {
    const source = readHistory(path.join('test/histories/order-violation.jsonl'));
    for (const format of ['jsonl', 'edn'] as const) {
      writeHistory(path.join(dir, `run.${format}`), source, format);
      t.deepEqual(readHistory(path.join(dir, `run.${format}`)), source, format);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a garbled line is named by file and line, in one line', (t) => {
  const first = `{:index 0, :time 0, :process :tester, :type :invoke, :f :read, :value nil, ${EDN_RUN}}`;
  const cases: Array<[string, RegExp]> = [
    ['{:index 1, :time 1000, :process :tester, :type :ok, :f :read', /line 2: not an event \(unexpected end/],
    ['{:index 1, :time 1000, :process :tester, :type :ok, :f :read, :value 1 2}', /line 2: not an event \(a map/],
    ['{:index 1, :time 1000, :process :tester, :type :done, :f :read}', /line 2: an event needs time, process, type/],
    ['{:index 1, :time 1000, :process 1.5, :type :invoke, :f :inc}', /line 2: process 1.5 is no client number/],
    ['{:index 1, :time 1000, :process 1, :type :ok, :f :inc}', /line 2: process 1 completed a call it never invoked/],
    [
      '{:time 1, :process 1, :type :invoke, :f :inc}\n{:time 2, :process 3, :type :invoke, :f :inc}',
      /line 3: process 3 invoked while process 1, its client, is in a call/,
    ],
  ];
  for (const [line, message] of cases) {
    const error = t.throws(() => historyFrom([first, line], 'bad.edn'), { instanceOf: HistoryError });
    t.regex(error?.message ?? '', message, line);
    t.regex(error?.message ?? '', /^\S*bad\.edn line \d+: [^\n]+$/);
  }
});

test('lines are found across read chunks, up to the longest line allowed', (t) => {
  const long = 'x'.repeat(MAX_LINE_BYTES);
  const short = Array.from({ length: 100_000 }, (_, i) => `line ${i}`);
  const lines = ['first', long, ...short, long, long, long, long, ...short, 'last, with no newline'];
  const seen: string[] = [];
  withFile('lines.txt', lines.join('\n'), (file) =>
    forEachLine(file, (bytes, start, end, lineNumber) => {
      t.is(lineNumber, seen.length + 1);
      seen.push(bytes.toString('latin1', start, end));
    }),
  );
  t.is(seen.length, lines.length);
  t.true(seen.every((line, i) => line === lines[i]));
});

test('a line longer than allowed is refused with its number, without reading the rest', (t) => {
  const lines = ['first', 'x'.repeat(MAX_LINE_BYTES + 1), 'third'];
  const error = withFile('long.txt', lines.join('\n'), (file) => t.throws(() => forEachLine(file, () => {})));
  t.like(error, { lineNumber: 2, message: 'longer than 1 MiB: not a history' });
});

test('numbers of every size are written as String() spells them', (t) => {
  const numbers = [0, -0, 7, -7, 9, 10, 99_999_999, 1e8, 100_000_001, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), 1234567890123];
  const others = [Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 53, 1.5, -0.25, 1e21, Infinity];
  const all = [...numbers, ...others];
  const text = withFile('numbers.txt', '', (file) => {
    const out = new ByteWriter(file);
    for (const n of all) {
      out.number(n);
      out.text(' ');
    }
    out.close();
    return fs.readFileSync(file, 'utf8');
  });
  t.is(text, all.map((n) => `${String(n)} `).join(''));
});
