import test from 'ava';
import { Pool } from '../backends/postgresql/pool.js';
import { fakeOpener, gate } from './fixtures/fake-connection.js';

test('opens connections lazily, one per concurrent caller, never more than size', async (t) => {
  const { open, opened } = fakeOpener();
  const pool = new Pool(open, { size: 3 });
  t.is(pool.totalCount, 0);
  const held = gate();
  const calls = Array.from({ length: 5 }, () => pool.run(() => held.promise));
  await new Promise((resolve) => setImmediate(resolve));
  t.is(opened.length, 3);
  t.is(pool.totalCount, 3);
  t.is(pool.waitingCount, 2);
  held.open();
  await Promise.all(calls);
  t.is(opened.length, 3, 'the waiters reused the open connections');
  t.is(pool.idleCount, 3);
});

test('a sequential caller reuses one connection', async (t) => {
  const { open, opened } = fakeOpener();
  const pool = new Pool(open, { size: 4 });
  for (let i = 0; i < 10; i++) await pool.run(async (connection) => connection.id);
  t.is(opened.length, 1);
  t.is(pool.totalCount, 1);
});
