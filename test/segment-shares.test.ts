/**
 * The segments of a run are the single-process run, client for client: their shares tile the
 * clients exactly, whatever the remainder, and every process computes the same shares.
 */
import test from 'ava';
import { shareOf } from '../tester/segments/segment.js';
import { unionMs } from '../tester/segments/merge-segments.js';

test('the n shares of N clients tile 0..N-1 in order, sizes differing by at most one', (t) => {
  for (let total = 1; total <= 40; total++) {
    for (let count = 1; count <= total; count++) {
      const shares = Array.from({ length: count }, (_, i) => shareOf(total, { index: i + 1, count }));
      let next = 0;
      for (const share of shares) {
        t.is(share.first, next, `${total} clients, ${count} segments`);
        next += share.size;
      }
      t.is(next, total);
      const sizes = shares.map((share) => share.size);
      t.true(Math.max(...sizes) - Math.min(...sizes) <= 1);
      t.true(sizes.every((size, i) => i === 0 || size <= sizes[i - 1]), 'the remainder goes to the first segments');
    }
  }
});

test('10 clients in 3 segments: 4, 3, 3', (t) => {
  t.deepEqual(
    [1, 2, 3].map((index) => shareOf(10, { index, count: 3 })),
    [
      { first: 0, size: 4 },
      { first: 4, size: 3 },
      { first: 7, size: 3 },
    ],
  );
});

test("the run's time is the union of the segments' spans: overlaps once, gaps not at all", (t) => {
  t.is(unionMs([]), 0);
  t.is(unionMs([[10, 20]]), 10);
  t.is(unionMs([[10, 20], [15, 30], [12, 14]]), 20);
  t.is(unionMs([[40, 50], [10, 20]]), 20);
  t.is(unionMs([[10, 20], [20, 25]]), 15);
});
