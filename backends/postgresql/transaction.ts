import type { Sql } from './connection.js';
import { isConnectionLost } from './errors.js';

/** What ends a transaction: here, and in the native engine's steps (counters/postgresql/methods.ts). */
export const COMMIT = 'COMMIT';
export const ROLLBACK = 'ROLLBACK';

/**
 * BEGIN, body, COMMIT, one statement per round trip (what pgbench does with the same script).
 * On a failure inside the body it rolls back, so the connection is usable for the next caller;
 * a failed COMMIT has already ended the transaction. `committing` runs just before COMMIT is
 * sent: from then on a lost connection may have applied the transaction.
 */
export async function inTransaction<T>(
  conn: Sql,
  begin: string,
  body: () => Promise<T>,
  committing: () => void = () => {},
): Promise<T> {
  await conn.query(begin);
  let value: T;
  try {
    value = await body();
  } catch (err) {
    if (!isConnectionLost(err)) await rollbackQuietly(conn);
    throw err;
  }
  committing();
  await conn.query(COMMIT);
  return value;
}

async function rollbackQuietly(conn: Sql): Promise<void> {
  try {
    await conn.query(ROLLBACK);
  } catch {
    // Nothing to roll back, or the connection is gone: either way no transaction is left open.
  }
}
