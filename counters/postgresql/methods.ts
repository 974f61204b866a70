import { CounterError } from '../counter.js';
import { parseChoice } from '../../backends/env.js';
import type { PostgresConfig } from '../../backends/postgresql/connection.js';
import { isRetryable } from '../../backends/postgresql/errors.js';
import { toCounterError } from './errors.js';
import type { Sql } from '../../backends/postgresql/connection.js';
import { firstLine } from '../../backends/first-line.js';
import { LostRace, type RaceRetries, retryLostRaces, type RetryPolicy } from '../../backends/retry-backoff.js';
import { COUNTER_LOCK_CLASS, COUNTER_TABLE, SHARD_TABLE, toCount } from './schema.js';
import { COMMIT, inTransaction } from '../../backends/postgresql/transaction.js';

/** The increment methods: the reference's five, then two of ours. */
export const POSTGRES_METHODS = [
  'lost_update',
  'inplace_update',
  'row_level_locking',
  'optimistic_concurrency_control',
  'serializable_update',
  'advisory_lock',
  'sharded',
] as const;

export type PostgresMethod = (typeof POSTGRES_METHODS)[number];

export const DEFAULT_POSTGRES_METHOD: PostgresMethod = 'inplace_update';

export function isPostgresMethod(value: string): value is PostgresMethod {
  return (POSTGRES_METHODS as readonly string[]).includes(value);
}

export function parsePostgresMethod(value: string): PostgresMethod {
  return parseChoice(value, POSTGRES_METHODS, `PostgreSQL method ${JSON.stringify(value)}`);
}

/**
 * The statements, in one place so the benchmark's pgbench scripts (`pgbenchScript`) run the
 * very same SQL. Every write bumps `version`, so optimistic concurrency control stays correct
 * even when other methods update the same row.
 */
export const SQL = {
  begin: 'BEGIN',
  beginSerializable: 'BEGIN ISOLATION LEVEL SERIALIZABLE',
  read: `SELECT counter FROM ${COUNTER_TABLE} WHERE user_id = $1`,
  readForUpdate: `SELECT counter FROM ${COUNTER_TABLE} WHERE user_id = $1 FOR UPDATE`,
  readVersioned: `SELECT counter, version FROM ${COUNTER_TABLE} WHERE user_id = $1`,
  write: `UPDATE ${COUNTER_TABLE} SET counter = $2, version = version + 1 WHERE user_id = $1`,
  writeIfVersion:
    `UPDATE ${COUNTER_TABLE} SET counter = $2, version = version + 1 ` +
    'WHERE user_id = $1 AND version = $3 RETURNING version',
  inplace:
    `UPDATE ${COUNTER_TABLE} SET counter = counter + 1, version = version + 1 ` +
    'WHERE user_id = $1 RETURNING counter',
  advisoryLock: `SELECT pg_advisory_xact_lock(${COUNTER_LOCK_CLASS}, $1::integer)`,
  /** The database's clock, for placing the histories of a run's segments on one clock. */
  clock: "SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint::text AS us",
  shardIncrement: `UPDATE ${SHARD_TABLE} SET counter = counter + 1 WHERE user_id = $1 AND slot = $2 RETURNING counter`,
  shardUpsert: `INSERT INTO ${SHARD_TABLE} (user_id, slot, counter) VALUES ($1, $2, 1)
    ON CONFLICT (user_id, slot) DO UPDATE SET counter = ${SHARD_TABLE}.counter + 1`,
} as const;

/** What one client needs to increment. */
export interface IncrementContext {
  conn: Sql;
  config: PostgresConfig;
  userId: number;
  /** Slot rows per user, for `sharded`. */
  shards: number;
  retry: RetryPolicy;
  /** Retry serialization failures (40001/40P01); OCC version conflicts are always retried. */
  doRetries: boolean;
  /** Called before each retry (the client counts them). */
  onRetry(): void;
}

/** Tracks whether the statement in flight could commit the increment (see toCounterError). */
interface Step {
  committing: boolean;
}

/** An OCC attempt whose version check failed: nothing was written. */
export const VERSION_CONFLICT = new LostRace('version changed under us');

type Attempt = (step: Step) => Promise<number | undefined | LostRace>;

/**
 * Adds one to the user's counter with `method`. Resolves to the new value when the method knows
 * it (undefined for `sharded`). Rejects with a CounterError (kind 'conflict' when it lost the race
 * for good) or a ConfigError (missing privilege).
 */
export function incrementWith(method: PostgresMethod, ctx: IncrementContext): Promise<number | undefined> {
  switch (method) {
    case 'lost_update':
      return run(ctx, method, (step) => lostUpdate(ctx, step));
    case 'inplace_update':
      return run(ctx, method, (step) => inplaceUpdate(ctx, step));
    case 'row_level_locking':
      return run(ctx, method, (step) => rowLevelLocking(ctx, step));
    case 'optimistic_concurrency_control':
      return run(ctx, method, (step) => optimistic(ctx, step));
    case 'serializable_update':
      return run(ctx, method, (step) => serializable(ctx, step));
    case 'advisory_lock':
      return run(ctx, method, (step) => advisoryLock(ctx, step));
    case 'sharded':
      return run(ctx, method, (step) => sharded(ctx, step));
  }
}

/**
 * Whether `method` retries serialization failures and deadlocks (40001/40P01): always for OCC
 * (the reference retries its races regardless of do_retries), else when doRetries.
 */
export function retriesErrors(method: PostgresMethod, doRetries: boolean): boolean {
  return doRetries || method === 'optimistic_concurrency_control';
}

/**
 * Runs attempts until one does not lose a race: an OCC version mismatch is always retried, a
 * serialization failure or deadlock when retriesErrors. Any other failure becomes the tester's
 * error at once.
 */
function run(ctx: IncrementContext, method: PostgresMethod, attempt: Attempt): Promise<number | undefined> {
  const retries: RaceRetries = { policy: ctx.retry, onRetry: ctx.onRetry, giveUp: (lost) => gaveUp(ctx, lost) };
  return retryLostRaces(retries, async () => {
    const step: Step = { committing: false };
    try {
      return await attempt(step);
    } catch (err) {
      if (isRetryable(err) && retriesErrors(method, ctx.doRetries)) return new LostRace(firstLine(err), err);
      throw toCounterError(ctx.config, err, step.committing);
    }
  });
}

/** The error of an increment that lost PG_MAX_RETRIES + 1 races (both engines). */
export function gaveUp(ctx: Pick<IncrementContext, 'config' | 'retry'>, lost: LostRace): CounterError {
  return new CounterError(
    `PostgreSQL at ${ctx.config.host}:${ctx.config.port}: increment gave up after ${ctx.retry.maxRetries} ` +
      `retries (${lost.why}); raise PG_MAX_RETRIES`,
    'conflict',
    lost.cause === undefined ? undefined : { cause: lost.cause },
  );
}

/** The error of an increment whose user has no row (both engines). */
export function missingRow(ctx: { config: PostgresConfig; userId: number }): CounterError {
  return new CounterError(
    `PostgreSQL at ${ctx.config.host}:${ctx.config.port}: user ${ctx.userId} has no row in ${COUNTER_TABLE}; ` +
      `reset the counter (initUserCounterTable) first`,
    'backend',
  );
}

async function readCounter(ctx: IncrementContext, name: string, text: string): Promise<number> {
  const rows = await ctx.conn.execute<{ counter: unknown }>(name, text, [ctx.userId]);
  if (rows.length === 0) throw missingRow(ctx);
  return toCount(rows[0].counter);
}

/** A transaction whose COMMIT marks the step as possibly applied. */
function transaction<T>(ctx: IncrementContext, step: Step, begin: string, body: () => Promise<T>): Promise<T> {
  return inTransaction(ctx.conn, begin, body, () => {
    step.committing = true;
  });
}

/** Read, then write read+1, autocommit, no lock: concurrent clients overwrite each other. */
async function lostUpdate(ctx: IncrementContext, step: Step): Promise<number> {
  const next = (await readCounter(ctx, 'cnt_read', SQL.read)) + 1;
  step.committing = true;
  await ctx.conn.execute('cnt_write', SQL.write, [ctx.userId, next]);
  return next;
}

/** One atomic UPDATE ... SET counter = counter + 1 RETURNING counter. */
async function inplaceUpdate(ctx: IncrementContext, step: Step): Promise<number> {
  step.committing = true;
  const rows = await ctx.conn.execute<{ counter: unknown }>('cnt_inplace', SQL.inplace, [ctx.userId]);
  if (rows.length === 0) throw missingRow(ctx);
  return toCount(rows[0].counter);
}

/** SELECT ... FOR UPDATE locks the row until COMMIT, so read-then-write cannot interleave. */
function rowLevelLocking(ctx: IncrementContext, step: Step): Promise<number> {
  return transaction(ctx, step, SQL.begin, async () => {
    const next = (await readCounter(ctx, 'cnt_read_for_update', SQL.readForUpdate)) + 1;
    await ctx.conn.execute('cnt_write', SQL.write, [ctx.userId, next]);
    return next;
  });
}

/**
 * Read counter and version, then write only if the version is unchanged (autocommit). Zero rows
 * updated means another client got there first: retried with backoff, always (the reference
 * retries version mismatches regardless of do_retries).
 */
async function optimistic(ctx: IncrementContext, step: Step): Promise<number | LostRace> {
  const rows = await ctx.conn.execute<{ counter: unknown; version: unknown }>('cnt_read_versioned', SQL.readVersioned, [
    ctx.userId,
  ]);
  if (rows.length === 0) throw missingRow(ctx);
  const next = toCount(rows[0].counter) + 1;
  step.committing = true;
  const written = await ctx.conn.execute('cnt_write_if_version', SQL.writeIfVersion, [
    ctx.userId,
    next,
    rows[0].version,
  ]);
  return written.length === 0 ? VERSION_CONFLICT : next;
}

/** Read then write read+1 in a SERIALIZABLE transaction: PostgreSQL aborts the loser with 40001. */
function serializable(ctx: IncrementContext, step: Step): Promise<number> {
  return transaction(ctx, step, SQL.beginSerializable, async () => {
    const next = (await readCounter(ctx, 'cnt_read', SQL.read)) + 1;
    await ctx.conn.execute('cnt_write', SQL.write, [ctx.userId, next]);
    return next;
  });
}

/**
 * pg_advisory_xact_lock(class, user) serializes the clients of one user until COMMIT; the read
 * must be a statement after the lock, since a READ COMMITTED statement sees the snapshot taken
 * when it started.
 */
function advisoryLock(ctx: IncrementContext, step: Step): Promise<number> {
  return transaction(ctx, step, SQL.begin, async () => {
    await ctx.conn.execute('cnt_advisory_lock', SQL.advisoryLock, [ctx.userId]);
    const next = (await readCounter(ctx, 'cnt_read', SQL.read)) + 1;
    await ctx.conn.execute('cnt_write', SQL.write, [ctx.userId, next]);
    return next;
  });
}

/**
 * In-place increment of one of K slot rows picked at random; the value is the SUM over slots.
 * It wins when many clients contend on one hot row: an UPDATE holds the row lock until its
 * commit (WAL flush) finishes, so on a single row commits run one after another, while on K rows
 * up to K of them proceed (and flush) together. Reads cost a SUM, and an increment cannot tell
 * the total, so it returns undefined.
 */
async function sharded(ctx: IncrementContext, step: Step): Promise<undefined> {
  const slot = Math.floor(Math.random() * ctx.shards);
  step.committing = true;
  const rows = await ctx.conn.execute('cnt_shard_increment', SQL.shardIncrement, [ctx.userId, slot]);
  // The slot is missing only when PG_SHARDS grew since the last reset: create it.
  if (rows.length === 0) await ctx.conn.execute('cnt_shard_upsert', SQL.shardUpsert, [ctx.userId, slot]);
  return undefined;
}

/**
 * A pgbench script running the same statements, one per round trip, as `method` does per
 * attempt (pgbench cannot retry an OCC version conflict; it counts the attempt).
 * Run it with `pgbench -n -M prepared -f script`.
 */
export function pgbenchScript(method: PostgresMethod, userId: number, shards = 8): string {
  const p = (text: string) => text.replace(/\$1::integer/g, ':uid').replace(/\$1/g, ':uid');
  const write = SQL.write.replace('$2', ':next');
  const lines = [`\\set uid ${userId}`];
  const readThenWrite = (read: string) => [`${p(read)} \\gset`, '\\set next :counter + 1', `${p(write)};`];
  switch (method) {
    case 'lost_update':
      lines.push(...readThenWrite(SQL.read));
      break;
    case 'inplace_update':
      lines.push(`${p(SQL.inplace)};`);
      break;
    case 'row_level_locking':
      lines.push(`${SQL.begin};`, ...readThenWrite(SQL.readForUpdate), `${COMMIT};`);
      break;
    case 'optimistic_concurrency_control':
      lines.push(
        `${p(SQL.readVersioned)} \\gset`,
        '\\set next :counter + 1',
        `${p(SQL.writeIfVersion.replace('$2', ':next').replace('$3', ':version'))};`,
      );
      break;
    case 'serializable_update':
      lines.push(`${SQL.beginSerializable};`, ...readThenWrite(SQL.read), `${COMMIT};`);
      break;
    case 'advisory_lock':
      lines.push(`${SQL.begin};`, `${p(SQL.advisoryLock)};`, ...readThenWrite(SQL.read), `${COMMIT};`);
      break;
    case 'sharded':
      lines.push(`\\set slot random(0, ${shards - 1})`, `${p(SQL.shardIncrement.replace('$2', ':slot'))};`);
      break;
  }
  return lines.join('\n') + '\n';
}
