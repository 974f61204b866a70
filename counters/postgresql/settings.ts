import type { Env } from '../../backends/env.js';
import { type PostgresConfig, readPostgresConfig } from '../../backends/postgresql/config.js';
import { POSTGRES_VARS as V } from '../../backends/env-vars.js';
import { readRetryPolicy, type RetryPolicy } from '../../backends/retry-backoff.js';
import { readShards } from './schema.js';

/** The reference's user id ("1"). */
export const DEFAULT_USER_ID = 1;

/** Everything a client reads from the environment, read once per factory / library use. */
export interface Settings {
  config: PostgresConfig;
  retry: RetryPolicy;
  shards: number;
}

export function readSettings(env: Env): Settings {
  return {
    config: readPostgresConfig(env),
    retry: readRetryPolicy(env, { maxRetries: V.PG_MAX_RETRIES, baseMs: V.PG_RETRY_BASE_MS, capMs: V.PG_RETRY_CAP_MS }),
    shards: readShards(env),
  };
}
