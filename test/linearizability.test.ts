/**
 * The checker's verdict is linearizability itself: on ten thousand random histories of faulty
 * servers (lossy, duplicating, stale, reordered, skipping; with failed, indeterminate and
 * valueless calls) it says "not valid" exactly where the brute-force oracle finds no
 * linearization, and never passes a history the oracle rejects.
 */
import test from 'ava';
import { checkHistory } from '../tester/check/check-history.js';
import { History, Outcome, type HistoryData } from '../tester/check/history.js';
import type { LinearizabilityResult, ReadWindow } from '../tester/check/linearizability-checker.js';
import { MinHeap } from '../tester/check/min-heap.js';
import { oracleLinearizable } from './helpers/linearizability-oracle.js';
import { randomHistory, SERVER_FAULTS, type RandomHistory } from './helpers/random-histories.js';
import { seededRandom } from './helpers/fuzz.js';

function judge(history: RandomHistory) {
  const { data, initial, final, reads } = history;
  return checkHistory(data, { initial, final, reads, valuesExpected: true });
}

function checkLinearizable(data: HistoryData, initial: number, reads: ReadWindow[]): LinearizabilityResult {
  const final = reads.at(-1)?.value;
  return checkHistory(data, { initial, final, reads, valuesExpected: true }).checks.linearizable as LinearizabilityResult;
}

function describe(history: RandomHistory): string {
  const rows = Array.from({ length: history.data.length }, (_, i) => {
    const { clientIds, invokeUs, completeUs, values, outcomes } = history.data;
    return `  client ${clientIds[i]} [${invokeUs[i]}, ${completeUs[i]}] ${['ok', 'fail', 'info'][outcomes[i]]} ${values[i]}`;
  });
  return [`${history.fault}, initial ${history.initial}, reads ${JSON.stringify(history.reads)}`, ...rows].join('\n');
}

test('agrees with the brute-force oracle on 10,000 random histories', (t) => {
  const random = seededRandom(23);
  const disagreements: { history: RandomHistory; oracle: boolean; checker: unknown }[] = [];
  const verdicts = { linearizable: 0, not: 0 };
  for (let n = 0; n < 10_000; n++) {
    const history = randomHistory(random, SERVER_FAULTS[n % SERVER_FAULTS.length]);
    const oracle = oracleLinearizable(history.data, history.initial, history.reads);
    const checker = judge(history).valid;
    verdicts[oracle ? 'linearizable' : 'not']++;
    // 'unknown' (a final count that could not be read) is agreement with a linearizable history.
    if ((checker === false) === oracle) disagreements.push({ history, oracle, checker });
  }
  disagreements.sort((a, b) => a.history.data.length - b.history.data.length);
  const first = disagreements[0];
  t.is(disagreements.length, 0, first && `oracle ${first.oracle}, checker ${first.checker}:\n${describe(first.history)}`);
  // Both verdicts must be common, or the agreement proves little.
  t.true(verdicts.linearizable > 2000 && verdicts.not > 2000, JSON.stringify(verdicts));
});

/** [client, invoke, complete, value, outcome] */
type Call = [number, number, number, number | undefined, Outcome?];

function history(calls: Call[]): History {
  const h = new History();
  for (const [client, invoke, complete, value, outcome = Outcome.ok] of calls) h.record(client, invoke, complete, value, outcome);
  return h;
}

/** Client 0 gets 1, then 3; client 1's indeterminate increment begins at `otherInvoke`. */
function skippedTwo(otherInvoke: number) {
  const h = history([
    [0, 2000, 3000, 1],
    [0, 4000, 5000, 3],
    [1, otherInvoke, 7000, undefined, Outcome.indeterminate],
  ]);
  const reads = [{ value: 0, invokeUs: 0, completeUs: 1000 }, { value: 3, invokeUs: 8000, completeUs: 9000 }];
  return { data: h.data(), reads, check: checkHistory(h, { initial: 0, final: 3, reads }) };
}

test('a skipped value needs an increment that could have produced it, not any indeterminate one', (t) => {
  const { data, reads, check } = skippedTwo(6000); // begins after 3 was returned
  t.false(oracleLinearizable(data, 0, reads));
  t.is(check.valid, false);
  t.like(check.checks.linearizable, { valid: false, skippedCount: 1 });
  t.like(checkLinearizable(data, 0, reads).examples[0], { kind: 'skipped', value: 2, candidates: [{ why: 'late' }] });
});

test('the same skipped value is explained by an increment in flight at the time', (t) => {
  const { data, reads, check } = skippedTwo(4500);
  t.true(oracleLinearizable(data, 0, reads));
  t.is(check.valid, true);
});

test('an acknowledged increment with no value needs a value of its own', (t) => {
  // Values 1 and 2 taken by calls that began after the valueless one had ended, final 2.
  const h = history([
    [0, 10, 20, undefined],
    [1, 30, 40, 1],
    [1, 50, 60, 2],
  ]);
  const reads = [{ value: 0, invokeUs: 0, completeUs: 5 }, { value: 3, invokeUs: 70, completeUs: 80 }];
  t.false(oracleLinearizable(h.data(), 0, reads));
  t.like(checkLinearizable(h.data(), 0, reads), { valid: false });
});

test('a million increments are checked in one pass', (t) => {
  const n = 1_000_000;
  const h = new History(n);
  for (let i = 0; i < n; i++) h.record(i % 100, i, i + 150, i % 7 === 0 ? undefined : i + 1, Outcome.ok);
  const reads = [{ value: 0, invokeUs: -10, completeUs: -5 }, { value: n, invokeUs: n + 200, completeUs: n + 300 }];
  const result = checkLinearizable(h.data(), 0, reads);
  t.like(result, { valid: true, skippedCount: 0, unplacedCount: 0 });
});

test('the sweeps\' heap pops in key order, whatever order items arrive in', (t) => {
  const random = seededRandom(7);
  for (let trial = 0; trial < 200; trial++) {
    const n = 1 + Math.floor(random() * 300);
    const keys = Float64Array.from({ length: n }, () => Math.floor(random() * (trial % 2 ? 5 : 1000)));
    const queue = new MinHeap<number>((a, b) => keys[a] < keys[b] || (keys[a] === keys[b] && a < b));
    const inQueue = new Set<number>();
    const popped: number[] = [];
    const expected: number[] = [];
    const naiveMin = () => [...inQueue].reduce((a, b) => (keys[b] < keys[a] || (keys[b] === keys[a] && b < a) ? b : a));
    for (let item = 0; item < n || inQueue.size > 0; ) {
      if (item < n && (inQueue.size === 0 || random() < 0.6)) {
        queue.push(item);
        inQueue.add(item++);
      } else {
        const min = naiveMin();
        expected.push(min);
        inQueue.delete(min);
        popped.push(queue.pop()!);
      }
    }
    t.deepEqual(popped, expected);
    t.is(queue.size, 0);
  }
});
