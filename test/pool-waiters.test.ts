import test from 'ava';
import { Pool } from '../backends/postgresql/pool.js';
import { fakeOpener, gate } from './fixtures/fake-connection.js';
import { waitUntil } from '../tester/harness/wait-until.js';

test('a waiter gets the connection released first, in arrival order', async (t) => {
  const { open } = fakeOpener();
  const pool = new Pool(open, { size: 1 });
  const held = gate();
  const first = pool.run(() => held.promise);
  const order: number[] = [];
  const second = pool.run(async () => order.push(2));
  const third = pool.run(async () => order.push(3));
  await new Promise((resolve) => setImmediate(resolve));
  t.is(pool.waitingCount, 2);
  held.open();
  await Promise.all([first, second, third]);
  t.deepEqual(order, [2, 3]);
  t.is(pool.waitingCount, 0);
});

test('a waiter whose connection was dropped gets a fresh one instead of sleeping forever', async (t) => {
  const { open, opened } = fakeOpener();
  const pool = new Pool(open, { size: 1 });
  const held = gate();
  const failing = pool.run(async () => {
    await held.promise;
    throw new Error('server went away');
  });
  const waiter = pool.run(async (connection) => connection.id);
  held.open();
  await t.throwsAsync(failing);
  t.is(await waiter, 2);
  t.true(opened[0].closed);
});

/** backends/outage.ts: the first try after a failed connect is due 25-50 ms later. */
const FIRST_RETRY_MIN_MS = 25;

test('after a failed connect, callers fail at once with its error until the next try is due', async (t) => {
  // A trial the machine delayed past the earliest retry proves nothing about refusing: it is tried again.
  for (let trial = 0; trial < 20; trial++) {
    const { open, failNext } = fakeOpener();
    let attemptCount = 0;
    const counted = () => {
      attemptCount++;
      return open();
    };
    const pool = new Pool(counted, { size: 2 });
    failNext(1);
    const startedMs = Date.now();
    await t.throwsAsync(pool.run(async () => {}), { message: 'connect ECONNREFUSED' });
    const second = await pool.run(async () => {}).then(
      () => undefined,
      (err: Error) => err,
    );
    if (Date.now() - startedMs >= FIRST_RETRY_MIN_MS) continue;
    t.is(second?.message, 'connect ECONNREFUSED');
    t.is(attemptCount, 1, 'refused without a connect attempt');
    const connected = await waitUntil(async () => (await pool.run(async (connection) => connection.id)) === 1, 5000, 5);
    t.true(connected, 'the paced retry connects');
    t.is(attemptCount, 2, 'callers before the retry was due tried no connect');
    t.true(Date.now() - startedMs >= FIRST_RETRY_MIN_MS, 'not before the retry was due');
    return;
  }
  t.fail(`every trial was delayed past ${FIRST_RETRY_MIN_MS} ms`);
});
