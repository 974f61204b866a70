import test from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from '../backends/postgresql/pool.js';
import { fakeOpener, gate } from './fixtures/fake-connection.js';

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

test('after a failed connect, callers fail at once with its error until the next try is due', async (t) => {
  const { open, failNext } = fakeOpener();
  const pool = new Pool(open, { size: 2 });
  failNext(1);
  await t.throwsAsync(pool.run(async () => {}), { message: 'connect ECONNREFUSED' });
  const started = Date.now();
  await t.throwsAsync(pool.run(async () => {}), { message: 'connect ECONNREFUSED' });
  t.true(Date.now() - started < 20, 'refused without a connect attempt');
  await sleep(60);
  t.is(await pool.run(async (connection) => connection.id), 1, 'the paced retry connects');
});
