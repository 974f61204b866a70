import test from 'ava';
import { Pool } from '../backends/postgresql/pool.js';
import { fakeOpener } from './fixtures/fake-connection.js';

test('a connection lost while idle is closed and replaced, not handed out', async (t) => {
  const { open, opened } = fakeOpener();
  const pool = new Pool(open, { size: 2 });
  await pool.run(async () => {});
  opened[0].lost = true;
  const used = await pool.run(async (connection) => connection);
  t.not(used, opened[0]);
  t.true(opened[0].closed);
  t.is(pool.totalCount, 1);
});

test('a connection whose work failed is dropped by default', async (t) => {
  const { open, opened } = fakeOpener();
  const pool = new Pool(open, { size: 2 });
  await t.throwsAsync(
    pool.run(async () => Promise.reject(new Error('statement failed'))),
    { message: 'statement failed' },
  );
  t.true(opened[0].closed);
  t.is(pool.totalCount, 0);
  t.is(await pool.run(async (connection) => connection.id), 2);
});

test('reusableAfter keeps a connection after an expected failure, but never a lost one', async (t) => {
  const { open, opened } = fakeOpener();
  const pool = new Pool(open, { size: 2, reusableAfter: (err) => (err as Error).message === 'conflict' });
  await t.throwsAsync(pool.run(async () => Promise.reject(new Error('conflict'))));
  t.false(opened[0].closed);
  t.is(pool.idleCount, 1);
  await t.throwsAsync(
    pool.run(async (connection) => {
      connection.lost = true;
      throw new Error('conflict');
    }),
  );
  t.true(opened[0].closed);
  t.is(pool.totalCount, 0);
});
