import test from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import { IncrementCoalescer } from '../server/stores/increment-coalescer.js';

test('the coalescer hands each batch distinct values and fails a whole batch together', async (t) => {
  let total = 0;
  const batches: number[] = [];
  const failingBatch = 5;
  const coalescer = new IncrementCoalescer(async (k) => {
    batches.push(k);
    await sleep(5);
    if (batches.length === failingBatch) throw new Error('statement failed');
    return (total += k);
  }, 4);
  const first = await Promise.all(Array.from({ length: 9 }, () => coalescer.increment()));
  t.deepEqual(first, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  t.deepEqual(batches, [4, 4, 1], 'requests of one event-loop turn share writes of at most 4');
  const lone = coalescer.increment();
  // The next turn: the lone request's write is in flight, so the three wait for a batch of their own.
  await new Promise((resolve) => setImmediate(resolve));
  const settled = await Promise.allSettled(Array.from({ length: 3 }, () => coalescer.increment()));
  t.is(await lone, 10);
  t.deepEqual(settled.map((s) => s.status), ['rejected', 'rejected', 'rejected'], 'the failed batch fails all its requests');
  t.is(total, 10, 'nothing of the failed batch was counted');
  t.deepEqual(await Promise.all([coalescer.increment(), coalescer.increment()]), [11, 12], 'and the next batch carries on');
});

test('the coalescer sends the next write before it answers the batch just written', async (t) => {
  const events: string[] = [];
  let total = 0;
  const coalescer = new IncrementCoalescer(async (k) => {
    events.push(`write ${k}`);
    await new Promise((resolve) => setImmediate(resolve));
    return (total += k);
  }, 2);
  await Promise.all([1, 2, 3].map(() => coalescer.increment().then((value) => events.push(`answer ${value}`))));
  t.deepEqual(events, ['write 2', 'write 1', 'answer 1', 'answer 2', 'answer 3']);
});

test('the coalescer fails the whole batch when the write throws before returning a promise', async (t) => {
  let total = 0;
  let writes = 0;
  const coalescer = new IncrementCoalescer((k) => {
    if (++writes === 2) throw new Error('no connection');
    return Promise.resolve((total += k));
  }, 3);
  t.deepEqual(await Promise.all([coalescer.increment(), coalescer.increment()]), [1, 2]);
  const failed = await Promise.allSettled([1, 2, 3].map(() => coalescer.increment()));
  t.deepEqual(
    failed.map((settled) => (settled.status === 'rejected' ? (settled.reason as Error).message : settled.value)),
    ['no connection', 'no connection', 'no connection'],
  );
  const next = await Promise.all([coalescer.increment(), coalescer.increment()]);
  t.deepEqual(next, [3, 4], 'the next batch carries on from the count');
});
