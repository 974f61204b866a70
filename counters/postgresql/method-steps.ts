import { COMMIT, ROLLBACK } from '../../backends/postgresql/transaction.js';
import { type PostgresMethod, retriesErrors, SQL } from './methods.js';

/**
 * The methods of methods.ts as the native engine runs them (native/pg-loader/steps.h): each a
 * list of statements, one per round trip, the same ones the JS functions there send, in the same
 * order, with the text from SQL. Names, not codes: the addon maps them through its own tables.
 */
export type Param = 'userId' | 'next' | 'version' | 'slot';

/**
 * What a statement's answer means: readNext (counter + 1 is the value to write and return; no row:
 * the user has no row), readVersion (the same, and the version is kept), returned (the counter is
 * the value; no row: no row), versionCheck (no row: OCC lost the race), slotOrUpsert (no row: run
 * the upsert), nothing.
 */
export type Use = 'nothing' | 'readNext' | 'readVersion' | 'returned' | 'versionCheck' | 'slotOrUpsert';

export interface StepStatement {
  text: string;
  /** Bound as $1, $2...; none: sent as a plain query (BEGIN, COMMIT), as the JS engine's query() does. */
  params: Param[];
}

export interface MethodStep {
  statement: StepStatement;
  use: Use;
  /** From this step on a lost connection may have applied the increment (toCounterError's mayHaveCommitted). */
  commits: boolean;
}

export interface MethodSteps {
  steps: MethodStep[];
  /** sharded's insert of a missing slot. */
  upsert: StepStatement;
  /** The first step opens a transaction: a failure after it and before COMMIT sends `rollback`. */
  transaction: boolean;
  rollback: StepStatement;
  /** Serialization failures and deadlocks are retried (retriesErrors); OCC version conflicts always are. */
  retryErrors: boolean;
}

const plain = (text: string): StepStatement => ({ text, params: [] });
const step = (text: string, params: Param[], use: Use = 'nothing', commits = false): MethodStep => ({
  statement: { text, params },
  use,
  commits,
});

/** Read, then write read + 1 (lost_update, row_level_locking, serializable_update, advisory_lock). */
const readThenWrite = (read: string, writeCommits: boolean): MethodStep[] => [
  step(read, ['userId'], 'readNext'),
  step(SQL.write, ['userId', 'next'], 'nothing', writeCommits),
];

/** BEGIN, body, COMMIT: only COMMIT may apply the increment. */
const inTransaction = (begin: string, body: MethodStep[]): MethodStep[] => [
  step(begin, []),
  ...body,
  step(COMMIT, [], 'nothing', true),
];

function stepsOf(method: PostgresMethod): MethodStep[] {
  switch (method) {
    case 'lost_update':
      return readThenWrite(SQL.read, true);
    case 'inplace_update':
      return [step(SQL.inplace, ['userId'], 'returned', true)];
    case 'row_level_locking':
      return inTransaction(SQL.begin, readThenWrite(SQL.readForUpdate, false));
    case 'optimistic_concurrency_control':
      return [
        step(SQL.readVersioned, ['userId'], 'readVersion'),
        step(SQL.writeIfVersion, ['userId', 'next', 'version'], 'versionCheck', true),
      ];
    case 'serializable_update':
      return inTransaction(SQL.beginSerializable, readThenWrite(SQL.read, false));
    case 'advisory_lock':
      return inTransaction(SQL.begin, [step(SQL.advisoryLock, ['userId']), ...readThenWrite(SQL.read, false)]);
    case 'sharded':
      return [step(SQL.shardIncrement, ['userId', 'slot'], 'slotOrUpsert', true)];
  }
}

export function methodSteps(method: PostgresMethod, doRetries: boolean): MethodSteps {
  const steps = stepsOf(method);
  return {
    steps,
    upsert: { text: SQL.shardUpsert, params: ['userId', 'slot'] },
    transaction: steps[0].statement.text.startsWith(SQL.begin),
    rollback: plain(ROLLBACK),
    retryErrors: retriesErrors(method, doRetries),
  };
}
