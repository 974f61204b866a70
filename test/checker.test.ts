import test from 'ava';
import { runCheck, worstValidity } from '../tester/check/check-result.js';
import { checkHistory, type CheckInput } from '../tester/check/check-history.js';
import type { CountResult } from '../tester/check/count-checker.js';
import { History, Outcome, type HistoryData } from '../tester/check/history.js';
import type { RangeResult } from '../tester/check/range-checker.js';
import type { RealTimeOrderResult } from '../tester/check/real-time-order-checker.js';
import type { UniqueResult } from '../tester/check/unique-values-checker.js';
import { verdictLine } from '../tester/judge/verdict.js';
import { seededRandom } from './helpers/fuzz.js';

// One check's part of the whole judgement.
const checkCount = (data: HistoryData, input: CheckInput) => checkHistory(data, input).checks.count as CountResult;
const checkValueRange = (data: HistoryData, input: CheckInput) => checkHistory(data, input).checks.range as RangeResult;
const checkUniqueValues = (data: HistoryData) =>
  checkHistory(data, { initial: 0, final: undefined }).checks.unique as UniqueResult;
const checkRealTimeOrder = (data: HistoryData) =>
  checkHistory(data, { initial: 0, final: undefined }).checks.realTimeOrder as RealTimeOrderResult;

/** [clientId, invokeUs, completeUs, value, outcome] */
type Op = [number, number, number, number | undefined, Outcome?];

function historyOf(ops: Op[]): History {
  const history = new History(2);
  for (const [clientId, invokeUs, completeUs, value, outcome = Outcome.ok] of ops) {
    history.record(clientId, invokeUs, completeUs, value, outcome);
  }
  return history;
}

/** n increments one after the other, returning initial+1 .. initial+n. */
function sequential(n: number, initial = 0): Op[] {
  return Array.from({ length: n }, (_, i): Op => [i % 3, 10 * i, 10 * i + 5, initial + i + 1]);
}

test('exact run: every increment counted once, in order', (t) => {
  const result = checkHistory(historyOf(sequential(5, 100)), { initial: 100, final: 105 });
  t.is(result.valid, true);
  t.like(result.checks.count, { mode: 'exact', acknowledgedCount: 5, attemptedCount: 5, lostCount: 0, extraCount: 0 });
  t.like(result.checks.unique, { valid: true, duplicateCount: 0, minValue: 101, maxValue: 105 });
  t.like(result.checks.realTimeOrder, { valid: true, staleCount: 0, comparedCount: 5 });
  t.like(result.checks.range, { valid: true, outOfRangeCount: 0 });
  t.is(verdictLine(result), 'exact: 5 of 5 increments counted, no duplicates, real-time order kept');
});

test('lost updates: count falls short and values repeat', (t) => {
  // Two pairs of clients read the same value and both wrote value+1.
  const history = historyOf([
    [0, 0, 10, 1],
    [1, 1, 11, 1],
    [0, 20, 30, 2],
    [1, 21, 31, 2],
  ]);
  const result = checkHistory(history, { initial: 0, final: 2 });
  t.is(result.valid, false);
  t.like(result.checks.count, { valid: false, lostCount: 2, extraCount: 0, appliedCount: 2 });
  t.like(result.checks.unique, { valid: false, duplicateCount: 2, duplicatedValueCount: 2 });
  t.like(result.checks.realTimeOrder, { valid: true });
  t.is(verdictLine(result), 'LOST 2 of 4 acknowledged increments; 2 duplicate values; real-time order kept');
  t.is(
    verdictLine(result, true),
    'lost 2 of 4 acknowledged increments (expected for this method); 2 duplicate values (expected); real-time ' +
      'order kept',
  );
});

test('extra increments: the counter grew by more than was attempted', (t) => {
  const count = checkCount(historyOf(sequential(4)).data(), { initial: 0, final: 6 });
  t.like(count, { valid: false, lostCount: 0, extraCount: 2, acknowledgedCount: 4 });
  const result = checkHistory(historyOf(sequential(4)), { initial: 0, final: 6 });
  t.is(
    verdictLine(result, true),
    'EXTRA 2 increments counted beyond the 4 attempted; no duplicates; real-time order kept',
  );
});

test('duplicates: counts extra occurrences and lists the most frequent first, capped', (t) => {
  const ops: Op[] = [];
  // Value v (1..12) returned v+1 times, plus unique values 100..104.
  for (let v = 1; v <= 12; v++) for (let k = 0; k <= v; k++) ops.push([k, 0, 1, v]);
  for (let v = 100; v < 105; v++) ops.push([0, 0, 1, v]);
  ops.push([0, 0, 1, undefined]); // no value: ignored
  ops.push([0, 0, 1, 7, Outcome.indeterminate]); // not acknowledged: ignored
  const result = checkUniqueValues(historyOf(ops).data());
  t.is(result.valid, false);
  t.is(result.duplicatedValueCount, 12);
  t.is(result.duplicateCount, (12 * 13) / 2);
  t.is(result.valuedCount, ops.length - 2);
  t.is(result.minValue, 1);
  t.is(result.maxValue, 104);
  t.is(result.examples.length, 10);
  t.like(result.examples[0], { value: 12, times: 13 });
  t.like(result.examples[9], { value: 3, times: 4 });
  // The witnesses: the first increments (in recording order) that returned the value.
  t.deepEqual(result.examples[9].ops.map((op) => [op.row, op.clientId, op.value]), [[5, 0, 3], [6, 1, 3], [7, 2, 3]]);
});

test('stale value: an increment that began after another completed returned less', (t) => {
  const result = checkRealTimeOrder(
    historyOf([
      [0, 0, 10, 2],
      [1, 20, 30, 1],
    ]).data(),
  );
  t.is(result.valid, false);
  t.is(result.staleCount, 1);
  t.deepEqual(result.examples, [
    {
      earlier: { row: 0, invokeIndex: NaN, clientId: 0, invokeUs: 0, completeUs: 10, value: 2 },
      later: { row: 1, invokeIndex: NaN, clientId: 1, invokeUs: 20, completeUs: 30, value: 1 },
    },
  ]);
});

test('stale value: an equal value after completion is stale too', (t) => {
  const result = checkRealTimeOrder(
    historyOf([
      [0, 0, 10, 5],
      [1, 11, 12, 5],
    ]).data(),
  );
  t.is(result.staleCount, 1);
});

test('stale value: compared with the largest value completed so far', (t) => {
  const result = checkRealTimeOrder(
    historyOf([
      [0, 0, 10, 1],
      [1, 0, 10, 9],
      [2, 20, 30, 5], // 5 <= 9: stale
      [3, 40, 50, 10],
    ]).data(),
  );
  t.is(result.staleCount, 1);
  t.is(result.examples[0].earlier.value, 9);
  t.is(result.examples[0].later.value, 5);
});

test('order violation without a duplicate: distinct values and an exact count, but one went backwards', (t) => {
  // Client 1 began after client 0 had been answered 2, and was answered 1: every value
  // is distinct and the count is exact, so only the real-time order checker can tell.
  const result = checkHistory(
    historyOf([
      [0, 0, 10, 2],
      [1, 20, 30, 1],
    ]),
    { initial: 0, final: 2 },
  );
  t.like(result.checks.count, { valid: true, mode: 'exact' });
  t.like(result.checks.unique, { valid: true, duplicateCount: 0 });
  t.like(result.checks.range, { valid: true });
  t.like(result.checks.realTimeOrder, { valid: false, staleCount: 1 });
  t.is(result.valid, false);
  t.is(verdictLine(result), 'exact: 2 of 2 increments counted; no duplicates; 1 stale read');
});

test('overlapping increments may return values in either order', (t) => {
  for (const [first, second] of [
    [1, 2],
    [2, 1],
  ]) {
    const overlapping = historyOf([
      [0, 0, 10, first],
      [1, 5, 15, second],
    ]);
    t.like(checkRealTimeOrder(overlapping.data()), { valid: true, staleCount: 0 });
  }
  // Completing at the very microsecond the other begins is not "before": concurrent.
  const touching = historyOf([
    [0, 0, 10, 2],
    [1, 10, 20, 1],
  ]);
  t.like(checkRealTimeOrder(touching.data()), { valid: true });
});

test('bounds with indeterminate operations', (t) => {
  const ops: Op[] = [
    ...sequential(3),
    [0, 100, 200, undefined, Outcome.indeterminate],
    [1, 100, 200, undefined, Outcome.indeterminate],
    [2, 100, 200, undefined, Outcome.failed],
  ];
  const data = historyOf(ops).data();
  for (const final of [3, 4, 5]) {
    t.like(checkCount(data, { initial: 0, final }), {
      valid: true,
      mode: 'bounds',
      acknowledgedCount: 3,
      indeterminateCount: 2,
      failedCount: 1,
      attemptedCount: 5,
    });
  }
  t.like(checkCount(data, { initial: 0, final: 2 }), { valid: false, lostCount: 1, extraCount: 0 });
  // The definitely-failed increment must not show: 6 is one too many.
  t.like(checkCount(data, { initial: 0, final: 6 }), { valid: false, lostCount: 0, extraCount: 1 });
  const result = checkHistory(historyOf(ops), { initial: 0, final: 4 });
  t.is(result.valid, true);
  t.is(
    verdictLine(result),
    '4 increments counted, within [3, 5] (2 indeterminate, 1 failed), no duplicates, real-time order kept',
  );
});

test('unknown final count', (t) => {
  const result = checkHistory(historyOf(sequential(3)), { initial: 0, final: undefined });
  t.like(result.checks.count, { valid: 'unknown', appliedCount: undefined });
  t.like(result.checks.range, { valid: 'unknown', outOfRangeCount: 0 });
  t.is(result.valid, 'unknown');
  t.is(verdictLine(result), 'final count unknown; no duplicates; real-time order kept');
});

test('no values: value checks are unknown', (t) => {
  const ops = sequential(4).map(([c, i, d]): Op => [c, i, d, undefined]);
  const result = checkHistory(historyOf(ops), { initial: 0, final: 4 });
  t.like(result.checks.unique, { valid: 'unknown', reason: 'no increment returned a value' });
  t.like(result.checks.realTimeOrder, { valid: 'unknown' });
  t.like(result.checks.range, { valid: 'unknown' });
  t.is(result.valid, true, 'a server that acknowledges without values is judged on its count');
  // A method that never promised values is judged on its count alone.
  const countOnly = checkHistory(historyOf(ops), { initial: 0, final: 4, valuesExpected: false });
  t.is(countOnly.valid, true);
  t.is(
    verdictLine(countOnly),
    'exact: 4 of 4 increments counted; no values returned (uniqueness and order not checked)',
  );
});

test('values out of range', (t) => {
  const data = historyOf([
    [0, 0, 1, 10], // <= initial
    [0, 2, 3, 11],
    [0, 4, 5, 13], // > final
  ]).data();
  t.like(checkValueRange(data, { initial: 10, final: 12 }), {
    valid: false,
    belowCount: 1,
    aboveCount: 1,
    outOfRangeCount: 2,
  });
  t.deepEqual(
    checkValueRange(data, { initial: 10, final: 12 }).examples.map((op) => op.value),
    [10, 13],
  );
});

test('values out of range: the verdict says how many, and which side', (t) => {
  // Distinct, in order, and the count is exact: only the range shows that 4 was never reached.
  const history = historyOf([
    [0, 0, 1, 1],
    [0, 2, 3, 2],
    [0, 4, 5, 4],
  ]);
  const result = checkHistory(history, { initial: 0, final: 3 });
  t.is(result.valid, false);
  t.is(
    verdictLine(result),
    'exact: 3 of 3 increments counted; no duplicates; real-time order kept; 1 value out of range (0 too low, 1 ' +
      'too high)',
  );
  t.is(
    verdictLine(result, true),
    'exact: 3 of 3 increments counted; no duplicates; real-time order kept; 1 value out of range (0 too low, 1 ' +
      'too high) (expected for this method)',
  );
  const below = checkHistory(
    historyOf([
      [0, 0, 1, 0],
      [0, 2, 3, 2],
    ]),
    { initial: 0, final: 2 },
  );
  t.is(
    verdictLine(below),
    'exact: 2 of 2 increments counted; no duplicates; real-time order kept; 1 value out of range (1 too low, 0 ' +
      'too high)',
  );
});

test('combiner: worst first, and a throwing checker is unknown', (t) => {
  t.is(worstValidity([true, 'unknown', true]), 'unknown');
  t.is(worstValidity([true, 'unknown', false, true]), false);
  t.is(worstValidity([false, 'unknown']), false);
  t.is(worstValidity([]), true);
  t.like(
    runCheck(() => {
      throw new Error('boom');
    }),
    { valid: 'unknown', error: 'boom' },
  );

  // A checker that throws leaves the others standing, and its 'unknown' shows.
  const fine = checkHistory(historyOf(sequential(3)).data(), { initial: 0, final: 3 });
  const unique = runCheck((): never => {
    throw new Error('boom');
  });
  const unknown = { ...fine, checks: { ...fine.checks, unique }, valid: worstValidity([true, unique.valid]) };
  t.like(unknown.checks.count, { valid: true });
  t.is(unknown.valid, 'unknown');
  t.regex(verdictLine(unknown), /duplicates not checked \(boom\)/);
});

test('large random linearizable history checks valid', (t) => {
  const n = 1_000_000;
  const clientCount = 64;
  const history = new History();
  // Each increment takes effect at time 10*k (value k) somewhere inside its interval, so
  // the history is linearizable by construction, with heavy overlap between operations.
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let k = 1; k <= n; k++) {
    const effectUs = 10 * k;
    history.record(k % clientCount, effectUs - 500 * random(), effectUs + 500 * random(), k, Outcome.ok);
  }
  const result = checkHistory(history, { initial: 0, final: n });
  t.is(result.valid, true);
  t.like(result.checks.realTimeOrder, { staleCount: 0, comparedCount: n });
  t.like(result.checks.unique, { duplicateCount: 0, minValue: 1, maxValue: n });

  // Swapping two values far apart in time must be caught.
  const data = history.data();
  [data.values[1000], data.values[900_000]] = [data.values[900_000], data.values[1000]];
  t.true(checkRealTimeOrder(data).staleCount > 0);
});

test('history grows and merges parts sent from other threads', (t) => {
  const parts = [0, 1, 2].map((worker) => {
    const history = new History(1);
    for (let i = 0; i < 5000; i++) history.record(worker, i, i + 0.5, worker * 10_000 + i, Outcome.ok);
    history.record(worker, 1, 2, undefined, Outcome.indeterminate);
    return history;
  });
  t.is(parts[0].length, 5001);
  t.true(Number.isNaN(parts[0].data().values[5000]));

  const received = parts.map((history) => {
    const { data, transfer } = history.toTransferable();
    const copy = structuredClone(data, { transfer });
    t.is(data.values.byteLength, 0); // transferred, not copied
    return copy;
  });
  const merged = History.merge(received);
  t.is(merged.length, 3 * 5001);
  const data = merged.data();
  t.is(data.clientIds[5001], 1);
  t.is(data.values[5001], 10_000);
  t.is(data.outcomes[3 * 5001 - 1], Outcome.indeterminate);
  t.is(data.completeUs[1], 1.5);
  t.like(checkHistory(merged, { initial: 0, final: 15_001 }).checks.count, { valid: true, mode: 'bounds' });

  const again = History.merge([merged, History.fromData(received[0])]);
  t.is(again.length, 4 * 5001);
});

test('real-time order: the stale count and witnesses are those of comparing every pair', (t) => {
  const random = seededRandom(16);
  for (let round = 0; round < 200; round++) {
    const n = 1 + Math.floor(random() * 60);
    const ops: Op[] = Array.from({ length: n }, (): Op => {
      const invokeUs = Math.floor(random() * 100);
      const outcome = random() < 0.1 ? Outcome.indeterminate : Outcome.ok;
      return [0, invokeUs, invokeUs + Math.floor(random() * 30), Math.floor(random() * 40), outcome];
    });
    // Rows in completion order, as a saved history is read back, or in any order, as threads merge.
    if (round % 2 === 0) ops.sort((a, b) => a[2] - b[2]);
    const valued = ops.filter((op) => op[4] === Outcome.ok);
    const isStale = (later: Op) => valued.some((earlier) => earlier[2] < later[1] && earlier[3]! >= later[3]!);
    const result = checkRealTimeOrder(historyOf(ops).data());
    t.is(result.staleCount, valued.filter(isStale).length, `round ${round}`);
    const firstStale = valued
      .map((op, order) => ({ op, order }))
      .filter(({ op }) => isStale(op))
      .sort((a, b) => a.op[1] - b.op[1] || a.order - b.order)
      .slice(0, 10)
      .map(({ op }) => op[1]);
    t.deepEqual(
      result.examples.map(({ later }) => later.invokeUs),
      firstStale,
    );
    for (const { earlier, later } of result.examples) {
      t.true(earlier.completeUs < later.invokeUs && earlier.value >= later.value);
    }
  }
});
