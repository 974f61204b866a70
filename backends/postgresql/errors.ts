import { CounterError, type ErrorKind } from '../counter-error.js';
import { ConfigError } from '../env.js';
import type { PostgresConfig, SqlError } from './connection.js';
import { firstLine } from '../first-line.js';

/** SQLSTATEs that mean "you lost a race, try again": serialization failure and deadlock. */
export function isRetryable(err: unknown): boolean {
  const state = (err as SqlError | undefined)?.sqlState;
  return state === '40001' || state === '40P01';
}

/** True when the connection is gone (server shut down, backend terminated, socket closed). */
const CONNECTION_LOST = new RegExp(
  [
    'server closed the connection',
    'no connection to the server',
    'terminating connection',
    'connection to server .*lost',
    'could not (send|receive) data (to|from) server',
    'connection not open',
    'SSL connection has been closed',
  ].join('|'),
  'i',
);

export function isConnectionLost(err: unknown): boolean {
  const state = (err as SqlError | undefined)?.sqlState;
  if (state !== undefined && (state.startsWith('08') || /^57P0[1-3]$/.test(state))) return true;
  const message = err instanceof Error ? err.message : String(err);
  return CONNECTION_LOST.test(message);
}

/** libpq's first line without its severity prefix. */
function reasonOf(err: unknown): string {
  return firstLine(err).replace(/^(ERROR|FATAL):\s*/, '');
}

/**
 * A missing privilege (SQLSTATE 42501) is the user's to fix: one line naming the server, the
 * user and the env var, instead of a stack. `what` says what we were doing ("create table ...").
 */
export function privilegeError(config: PostgresConfig, err: unknown, what: string, grant: string): ConfigError {
  return new ConfigError(
    `cannot ${what} on PostgreSQL at ${config.host}:${config.port} (database "${config.database}") as user ` +
      `"${config.user}": ${reasonOf(err)}; ${grant}, or set POSTGRES_USER to a user that has it`,
    { cause: err },
  );
}

/** Missing SELECT/INSERT/UPDATE/DELETE on the counter tables. */
export function tablePrivilegeError(config: PostgresConfig, err: unknown): ConfigError {
  return privilegeError(
    config,
    err,
    'use the counter tables',
    `grant SELECT, INSERT, UPDATE, DELETE on user_counter and user_counter_shard to "${config.user}"`,
  );
}

/**
 * Turns a failed operation into what the tester understands.
 * `mayHaveCommitted` is true when the failing statement could have committed the increment (an
 * autocommit write or COMMIT): a lost connection then leaves its fate unknown ('reset'); before
 * that point the transaction certainly died with the connection ('refused': not applied).
 */
export function toCounterError(config: PostgresConfig, err: unknown, mayHaveCommitted: boolean): Error {
  if (err instanceof CounterError || err instanceof ConfigError) return err;
  const state = (err as SqlError | undefined)?.sqlState;
  if (state === '42501') return tablePrivilegeError(config, err);
  const where = `PostgreSQL at ${config.host}:${config.port}`;
  let kind: ErrorKind = 'backend';
  if (isRetryable(err)) kind = 'conflict';
  else if (state === '57014') kind = 'timeout';
  else if (isConnectionLost(err)) kind = mayHaveCommitted ? 'reset' : 'refused';
  const detail = state ? ` (SQLSTATE ${state})` : '';
  return new CounterError(`${where}: ${reasonOf(err)}${detail}`, kind, { cause: err });
}
