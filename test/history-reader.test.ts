/** Reading a saved history: our own lines take a fast path, any other JSON spelling reads the same. */
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readHistory } from '../tester/history/history-reader.js';
import { type ScannedEvent, scanJsonlEvent } from '../tester/history/jsonl-event.js';

const META = { counter: 'hand-made', clientCount: 2, promisesExact: true, linearizable: true, unreadableCount: 0 };
const RUN = `"run":${JSON.stringify(META)}`;

function historyFrom(lines: string[]) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'history-reader-'));
  try {
    fs.writeFileSync(path.join(dir, 'run.jsonl'), lines.join('\n') + '\n');
    return readHistory(path.join(dir, 'run.jsonl'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('the fast path reads our lines and refuses any other spelling', (t) => {
  const scanned: ScannedEvent = { time: 0, process: 0, type: '', f: '', value: null };
  const line = '{"index":7,"time":3000000,"process":12,"type":"ok","f":"inc","value":-42}';
  t.true(scanJsonlEvent(line, 0, line.length, scanned));
  t.deepEqual(scanned, { time: 3000000, process: 12, type: 'ok', f: 'inc', value: -42 });
  for (const other of [
    '{"index":7,"time":3000000,"process":12,"type":"ok","f":"inc","value":1.5}',
    '{"index":7, "time":3000000,"process":12,"type":"ok","f":"inc","value":1}',
    '{"time":3000000,"index":7,"process":12,"type":"ok","f":"inc","value":1}',
    '{"index":7,"time":3000000,"process":12,"type":"ok","f":"inc","value":1,"error":"x"}',
    '{"index":7,"time":30000000000000000,"process":12,"type":"ok","f":"inc","value":1}',
  ]) {
    t.false(scanJsonlEvent(other, 0, other.length, scanned), other);
  }
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
