import { type Env, readInteger, readString } from '../env.js';
import { POSTGRES_VARS as V } from '../env-vars.js';

/** Connection settings, from the reference's env vars and defaults. */
export interface PostgresConfig {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  /** Longest a statement may take (lock waits included) before its connection is given up. */
  statementTimeoutMs: number;
}

export function readPostgresConfig(env: Env = process.env): PostgresConfig {
  return {
    host: readString(env, V.DB_HOST),
    port: readInteger(env, V.DB_PORT),
    database: readString(env, V.POSTGRES_DB),
    user: readString(env, V.POSTGRES_USER),
    password: readString(env, V.POSTGRES_PASSWORD),
    statementTimeoutMs: readInteger(env, V.PG_STATEMENT_TIMEOUT_MS),
  };
}
