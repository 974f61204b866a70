import test from 'ava';
import { Pool, PoolEndedError } from '../backends/postgresql/pool.js';
import { fakeOpener, gate } from './fixtures/fake-connection.js';

test('end() closes idle connections and refuses later calls', async (t) => {
  const { open, opened } = fakeOpener();
  const pool = new Pool(open, { size: 2 });
  await pool.run(async () => {});
  await pool.end();
  t.true(opened[0].closed);
  t.is(pool.totalCount, 0);
  await t.throwsAsync(pool.run(async () => {}), { instanceOf: PoolEndedError });
});

test('end() rejects waiters and closes a busy connection when it comes back', async (t) => {
  const { open, opened } = fakeOpener();
  const pool = new Pool(open, { size: 1 });
  const held = gate();
  const busy = pool.run(() => held.promise);
  const waiter = pool.run(async () => {});
  await new Promise((resolve) => setImmediate(resolve));
  await pool.end();
  await t.throwsAsync(waiter, { instanceOf: PoolEndedError });
  t.false(opened[0].closed, 'the busy connection finishes its work');
  held.open();
  await busy;
  t.true(opened[0].closed);
});

test('endedError names what the caller should know', async (t) => {
  const { open } = fakeOpener();
  const pool = new Pool(open, { size: 1, endedError: () => new Error('connections were closed (closeAll)') });
  await pool.end();
  await t.throwsAsync(pool.run(async () => {}), { message: 'connections were closed (closeAll)' });
});
