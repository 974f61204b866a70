import { CounterError, type ErrorKind } from '../counter.js';
import { ConfigError } from '../../backends/env.js';
import type { PostgresConfig, SqlError } from '../../backends/postgresql/connection.js';
import { isConnectionLost, isRetryable, reasonOf } from '../../backends/postgresql/errors.js';
import { tablePrivilegeError } from './schema.js';

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
