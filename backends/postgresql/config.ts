import { type Env, readInteger, readPort, readString } from '../env.js';

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
    host: readString(env, 'DB_HOST', 'localhost'),
    port: readPort(env, 'DB_PORT', 5432),
    database: readString(env, 'POSTGRES_DB', 'counter_db'),
    user: readString(env, 'POSTGRES_USER', 'postgres'),
    password: readString(env, 'POSTGRES_PASSWORD', 'postgres'),
    statementTimeoutMs: readInteger(env, 'PG_STATEMENT_TIMEOUT_MS', 5000, 100, 3_600_000),
  };
}
