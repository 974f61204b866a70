/**
 * Recorded histories with known verdicts (test/histories/), judged again on every run as
 * porcupine's test_data/ is: the checker must reach the same verdict, name the same
 * witnesses, and a saved history must read back and save again byte for byte. Four were
 * recorded by `tester web --history` against test/fixtures/faulty-server.ts (modes ok, lose,
 * stale, reset); order-violation.jsonl is hand-made, with nemesis events.
 */
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readHistory } from '../tester/history/history-reader.js';
import { writeHistory } from '../tester/history/history-writer.js';
import { judgeRun } from '../tester/judge/judge-run.js';
import { ROOT } from './helpers/server-process.js';

const DIR = path.join(ROOT, 'test/histories');

interface Known {
  passed: boolean;
  verdict: string;
  witnesses: string[];
  /** Lines the history gains when saved again: a call never completed is saved as info at the end. */
  completedAs?: string[];
}

const KNOWN: Record<string, Known> = {
  'correct.jsonl': {
    passed: true,
    verdict: 'exact: 30 of 30 increments counted, no duplicates, real-time order kept',
    witnesses: [],
  },
  'lost-update.jsonl': {
    passed: false,
    verdict: 'LOST 4 of 30 acknowledged increments; 4 duplicate values; real-time order kept',
    witnesses: [
      'final read 26 outside [30, 30]: tester op 64 [40.116 ms–41.043 ms]',
      'duplicate value 7: client 2 op 14 [29.313 ms–30.239 ms] and client 0 op 16 [29.626 ms–30.755 ms]',
      'duplicate value 13: client 2 op 28 [31.892 ms–32.612 ms] and client 0 op 30 [32.264 ms–33.090 ms]',
      'duplicate value 19: client 2 op 42 [33.918 ms–34.542 ms] and client 0 op 44 [33.995 ms–34.594 ms]',
    ],
  },
  'stale-value.jsonl': {
    passed: false,
    verdict: 'exact: 30 of 30 increments counted; 4 duplicate values; 4 stale reads',
    witnesses: [
      'duplicate value 2: client 1 op 5 [36.040 ms–41.119 ms] and client 0 op 14 [41.967 ms–43.462 ms]',
      'duplicate value 9: client 0 op 20 [43.485 ms–45.219 ms] and client 2 op 28 [46.409 ms–47.866 ms]',
      'duplicate value 16: client 1 op 32 [47.525 ms–49.446 ms] and client 2 op 40 [49.743 ms–50.879 ms]',
      'stale value 2: client 0 op 14 [41.967 ms–43.462 ms] ' +
        'began after client 0 op 8 [40.486 ms–41.953 ms] returned 4',
      'stale value 9: client 2 op 28 [46.409 ms–47.866 ms] ' +
        'began after client 2 op 18 [42.976 ms–46.368 ms] returned 11',
      'stale value 16: client 2 op 40 [49.743 ms–50.879 ms] ' +
        'began after client 2 op 34 [47.876 ms–49.722 ms] returned 17',
    ],
  },
  'order-violation.jsonl': {
    passed: false,
    verdict:
      'exact: 2 of 2 increments counted; no duplicates; 1 stale read; ' +
      'faults: pause 2.5-4.5 ms; 0 calls indeterminate; nothing acknowledged lost',
    witnesses: [
      'stale value 1: client 1 op 7 [3.000 ms–4.000 ms] began after ' +
        'client 0 op 4 [1.000 ms–2.000 ms] returned 2',
    ],
  },
  'indeterminate.jsonl': {
    passed: true,
    verdict: '30 increments counted, within [26, 30] (4 indeterminate), no duplicates, real-time order kept',
    witnesses: [],
  },
  // The smallest false PASS an independent linearizability checker found: some indeterminate
  // increment existed, but it began after value 3 was returned, so none produced value 2.
  'skipped-value.jsonl': {
    passed: false,
    verdict:
      '3 increments counted, within [2, 3] (1 indeterminate); no duplicates; real-time order kept; ' +
      '1 value never produced by any call',
    witnesses: [
      'value 2 never produced: due after client 0 op 2 [0.002 ms–0.003 ms] (returned 1) began and before ' +
        'client 0 op 4 [0.004 ms–0.005 ms] (returned 3) ended; client 1 op 6 [0.006 ms–0.007 ms] began too late',
    ],
  },
  // An increment invoked and never completed may have taken effect: the final read may count it.
  'never-completed.jsonl': {
    passed: true,
    verdict: '2 increments counted, within [1, 2] (1 indeterminate), no duplicates, real-time order kept',
    witnesses: [],
    completedAs: ['{"index":7,"time":5000,"process":1,"type":"info","f":"inc","value":null}'],
  },
};

test('every recorded history has a known verdict', (t) => {
  t.deepEqual(fs.readdirSync(DIR).sort(), Object.keys(KNOWN).sort());
});

for (const [file, known] of Object.entries(KNOWN)) {
  test(`${file}: judged ${known.passed ? 'passed' : 'failed'}, with the same verdict and witnesses`, (t) => {
    const { passed, verdict, witnesses } = judgeRun(readHistory(path.join(DIR, file)));
    t.deepEqual({ passed, verdict, witnesses }, { passed: known.passed, verdict: known.verdict, witnesses: known.witnesses });
  });

  test(`${file}: reads back and saves again byte for byte, as JSON Lines and through EDN`, (t) => {
    const original = fs.readFileSync(path.join(DIR, file), 'utf8') + (known.completedAs ?? []).map((line) => `${line}\n`).join('');
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'histories-'));
    try {
      writeHistory(path.join(scratch, 'again.jsonl'), readHistory(path.join(DIR, file)));
      t.is(fs.readFileSync(path.join(scratch, 'again.jsonl'), 'utf8'), original);
      writeHistory(path.join(scratch, 'run.edn'), readHistory(path.join(DIR, file)), 'edn');
      writeHistory(path.join(scratch, 'back.jsonl'), readHistory(path.join(scratch, 'run.edn')));
      t.is(fs.readFileSync(path.join(scratch, 'back.jsonl'), 'utf8'), original);
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  });
}
