/**
 * An anchor's figure is its best setting's in that round, and says which setting that was: a
 * comparison against a handicapped anchor (wrk -t2 where -t1 is faster) flatters the tester.
 */
import test from 'ava';
import type { Measured } from '../bench/measurement.js';
import { bestOf, type Candidate, threadCounts } from '../bench/tools/best-setting.js';

const reaching = (setting: string, rps: number): Candidate => ({
  setting,
  run: async (): Promise<Measured> => ({ rps, errorCount: 0 }),
});
const failing = (setting: string): Candidate => ({
  setting,
  run: async () => {
    throw new Error(`${setting} failed`);
  },
});

test('the fastest setting is the figure, whichever order the round runs them in', async (t) => {
  for (const round of [1, 2]) {
    const best = await bestOf([reaching('-t1', 150_000), reaching('-t2', 123_000)], round);
    t.is(best.rps, 150_000);
    t.is(best.setting, '-t1');
    t.deepEqual(best.triedRps, { '-t1': 150_000, '-t2': 123_000 });
  }
});

test('a failing setting drops out; the row fails only when every setting failed', async (t) => {
  const best = await bestOf([failing('-w 2'), reaching('main thread', 9_000)], 1);
  t.is(best.setting, 'main thread');
  t.deepEqual(best.triedRps, { 'main thread': 9_000 });
  await t.throwsAsync(bestOf([failing('-t1'), failing('-t2')], 1), { message: '-t1 failed' });
});

test('never more threads than connections, at most one per core', (t) => {
  t.deepEqual(threadCounts(1, 2), [1]);
  t.deepEqual(threadCounts(10, 2), [1, 2]);
  t.deepEqual(threadCounts(100, 4), [1, 2, 3, 4]);
});
