/**
 * The bench's PostgreSQL method ranking (bench/method-ranking.ts): each tool's groups come from
 * the Mann-Whitney test, and a pair pgbench orders significantly is checked against the tester's
 * order, the disagreements named.
 */
import test from 'ava';
import { methodRanking } from '../bench/method-ranking.js';

const fast = [100, 101, 102, 103, 104, 105];
const slow = [50, 51, 52, 53, 54, 55];

test('agreeing tools: same groups, every significant pair ordered the same way', (t) => {
  const lines = methodRanking(
    [
      { method: 'sharded', tester: fast, reference: fast },
      { method: 'inplace_update', tester: slow, reference: slow },
    ],
    'pgbench',
    10,
  );
  t.true(lines.includes('- pgbench: 1. sharded · 2. inplace_update'), lines.join('\n'));
  t.true(lines.includes('- tester: 1. sharded · 2. inplace_update'), lines.join('\n'));
  t.regex(lines.at(-1)!, /orders 1 pair\(s\) significantly; the tester orders 1 of them the same way \(all\)/);
});

test('a pair the tester orders the other way is named; ties in pgbench ask nothing', (t) => {
  const lines = methodRanking(
    [
      { method: 'a', tester: slow, reference: fast },
      { method: 'b', tester: fast, reference: slow },
      { method: 'c', tester: fast, reference: slow.map((v) => v + 0.5) },
    ],
    'pgbench',
    10,
  );
  t.regex(lines.at(-1)!, /orders 2 pair\(s\) significantly; the tester orders 0 of them the same way; not: a > b \(tester: slower 0\.\d+x\), a > c/);
});

test('too few rounds for any significance say so instead of claiming agreement', (t) => {
  const lines = methodRanking(
    [
      { method: 'a', tester: [2], reference: [2] },
      { method: 'b', tester: [1], reference: [1] },
    ],
    'pgbench',
    10,
  );
  t.regex(lines.at(-1)!, /orders no pair significantly: nothing for the tester to agree with/);
});
