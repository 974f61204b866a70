/** A run passes on what its method promises, and an unknown final count is never a pass. */
import test from 'ava';
import { checkHistory } from '../tester/check/check-history.js';
import { History, Outcome } from '../tester/check/history.js';
import { runPassed } from '../tester/judge/judge-run.js';

const LINEARIZABLE = { promisesExact: true, linearizable: true }; // e.g. hazelcast/atomic
const EXACT_COUNT_ONLY = { promisesExact: true, linearizable: false }; // hazelcast/pn_counter, postgresql/sharded
const UNSAFE = { promisesExact: false, linearizable: false }; // lost_update, no_lock

/** Three increments one after the other that returned `values`, judged against `final`. */
function judged(values: number[], final: number | undefined) {
  const history = new History(1);
  values.forEach((value, i) => history.record(0, 10 * i, 10 * i + 5, value, Outcome.ok));
  return checkHistory(history, { initial: 0, final, valuesExpected: true });
}

test('an unknown final count fails every method that promises an exact count', (t) => {
  const unknown = judged([1, 2, 3], undefined);
  t.is(unknown.checks.count.valid, 'unknown');
  t.false(runPassed(LINEARIZABLE, unknown));
  t.false(runPassed(EXACT_COUNT_ONLY, unknown), 'no pass for a count nobody could read');
  t.true(runPassed(UNSAFE, unknown));
});

test('an exact count passes a count-only method despite repeated values; a linearizable one needs them unique', (t) => {
  const repeated = judged([1, 1, 3], 3);
  t.is(repeated.checks.count.valid, true);
  t.is(repeated.checks.unique.valid, false);
  t.true(runPassed(EXACT_COUNT_ONLY, repeated));
  t.false(runPassed(LINEARIZABLE, repeated));
});

test('a lost increment fails both; an unsafe method passes with it', (t) => {
  const lost = judged([1, 2, 3], 2);
  t.is(lost.checks.count.valid, false);
  t.false(runPassed(EXACT_COUNT_ONLY, lost));
  t.false(runPassed(LINEARIZABLE, lost));
  t.true(runPassed(UNSAFE, lost));
  t.true(runPassed(LINEARIZABLE, judged([1, 2, 3], 3)));
});
