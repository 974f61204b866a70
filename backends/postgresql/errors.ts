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
export function reasonOf(err: unknown): string {
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
