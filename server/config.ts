import {
  ConfigError,
  type Env,
  readBoolean,
  readChoice,
  readInteger,
  readOptionalInteger,
  readString,
} from '../backends/env.js';
import { ENV_VARS, SERVER_VARS as V, SHM_INCREMENT_MODES, STORAGE_METHODS } from '../backends/env-vars.js';
import { type HazelcastConfig, readHazelcastConfig } from '../backends/hazelcast/config.js';
import { type PostgresConfig, readPostgresConfig } from '../backends/postgresql/config.js';

export { SHM_INCREMENT_MODES, STORAGE_METHODS };
export type StorageMethod = (typeof STORAGE_METHODS)[number];
export type ShmIncrementMode = (typeof SHM_INCREMENT_MODES)[number];

export interface ServerConfig {
  host: string;
  port: number;
  /** Port of the HTTP/1.0 front (server/http10-front.ts); none when unset. */
  http10Port: number | undefined;
  workerCount: number;
  storage: StorageMethod;
  /** Disk mode's counter file. */
  storagePath: string;
  /** Shared-memory mode: exclusive flock around read-add-write (the reference) or a lock-free fetch-add. */
  shmIncrement: ShmIncrementMode;
  /** Disk mode: fdatasync after every increment, so an acknowledged count survives power loss. */
  diskFsync: boolean;
  /** Read only for STORAGE_METHOD=postgresql, so other modes ignore bad DB_* values. */
  postgres: PostgresConfig | undefined;
  /** Connections the server's one writer keeps to PostgreSQL (each worker's, with COALESCE=false). */
  pgPoolSize: number;
  /** Remote stores: one writer per server batches the increments that arrive while a write is in flight. */
  coalesce: boolean;
  coalesceMaxBatch: number;
  /** When set, POST /reset needs `Authorization: Bearer <token>`. */
  resetToken: string | undefined;
  /** Read only for STORAGE_METHOD=hazelcast, so other modes ignore bad HZ_* values. */
  hazelcast: HazelcastConfig | undefined;
}

/** Every env var the server reads (its own and the backends'); docker files are tested against this list. */
export const SERVER_ENV_VARS: readonly string[] = ENV_VARS.map((variable) => variable.name);

export function readServerConfig(env: Env = process.env): ServerConfig {
  const storagePath = readString(env, V.STORAGE_PATH);
  // The reference's rule: an unset method means shared memory, unless a path asks for disk.
  const storage = readChoice(env, V.STORAGE_METHOD, storagePath ? 'disk' : V.STORAGE_METHOD.fallback);
  if (storage === 'disk' && !storagePath) {
    throw new ConfigError(
      'STORAGE_METHOD=disk needs a counter file: set STORAGE_PATH, e.g. STORAGE_PATH=./counter.txt',
    );
  }
  const port = readInteger(env, V.PORT);
  const http10Port = readOptionalInteger(env, V.HTTP10_PORT);
  if (http10Port === port) {
    throw new ConfigError(`HTTP10_PORT=${port} is PORT too: give the HTTP/1.0 front its own port`);
  }
  return {
    host: readString(env, V.HOST),
    port,
    http10Port,
    workerCount: readInteger(env, V.WORKERS),
    storage,
    storagePath,
    shmIncrement: readChoice(env, V.SHM_INCREMENT),
    diskFsync: readBoolean(env, V.DISK_FSYNC),
    postgres: storage === 'postgresql' ? readPostgresConfig(env) : undefined,
    pgPoolSize: readInteger(env, V.PG_POOL_SIZE),
    coalesce: readBoolean(env, V.COALESCE),
    coalesceMaxBatch: readInteger(env, V.COALESCE_MAX_BATCH),
    resetToken: readString(env, V.RESET_TOKEN) || undefined,
    hazelcast: storage === 'hazelcast' ? readHazelcastConfig(env) : undefined,
  };
}

/** One segment per listening address, so two servers on one host never share a counter by accident. */
export function sharedMemoryName(config: Pick<ServerConfig, 'host' | 'port'>): string {
  return `/counters-${config.host.replace(/[^A-Za-z0-9.]/g, '_')}-${config.port}`;
}
