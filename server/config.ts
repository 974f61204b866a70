import { ConfigError, type Env, readBoolean, readChoice, readInteger, readPort, readString } from '../backends/env.js';
import { HAZELCAST_ENV_DEFAULTS, type HazelcastConfig, readHazelcastConfig } from '../backends/hazelcast/config.js';
import { type PostgresConfig, readPostgresConfig } from '../backends/postgresql/config.js';

export const STORAGE_METHODS = ['shared_memory', 'disk', 'postgresql', 'hazelcast'] as const;
export type StorageMethod = (typeof STORAGE_METHODS)[number];
export const SHM_INCREMENT_MODES = ['flock', 'atomic'] as const;
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
  /** Connections each worker keeps to PostgreSQL. */
  pgPoolSize: number;
  /** Remote stores: batch the increments that arrive while a write is in flight into one. */
  coalesce: boolean;
  coalesceMaxBatch: number;
  /** When set, POST /reset needs `Authorization: Bearer <token>`. */
  resetToken: string | undefined;
  /** Read only for STORAGE_METHOD=hazelcast, so other modes ignore bad HZ_* values. */
  hazelcast: HazelcastConfig | undefined;
}

/** Every env var the server reads; docker files are tested against this list. */
export const SERVER_ENV_VARS = [
  'HOST', 'PORT', 'STORAGE_METHOD', 'STORAGE_PATH', 'WORKERS', 'SHM_INCREMENT', 'DISK_FSYNC', 'PG_POOL_SIZE',
  'DB_HOST', 'DB_PORT', 'POSTGRES_DB', 'POSTGRES_USER', 'POSTGRES_PASSWORD', 'PG_STATEMENT_TIMEOUT_MS', 'RESET_TOKEN', 'COALESCE', 'COALESCE_MAX_BATCH',
  'HTTP10_PORT',
  ...Object.keys(HAZELCAST_ENV_DEFAULTS),
] as const;

export function readServerConfig(env: Env = process.env): ServerConfig {
  const storagePath = readString(env, 'STORAGE_PATH', '');
  // The reference's rule: an unset method means shared memory, unless a path asks for disk.
  const storage = readChoice(env, 'STORAGE_METHOD', storagePath ? 'disk' : 'shared_memory', STORAGE_METHODS);
  if (storage === 'disk' && !storagePath) {
    throw new ConfigError('STORAGE_METHOD=disk needs a counter file: set STORAGE_PATH, e.g. STORAGE_PATH=./counter.txt');
  }
  const port = readPort(env, 'PORT', 8080);
  const http10Port = readString(env, 'HTTP10_PORT', '') === '' ? undefined : readPort(env, 'HTTP10_PORT', port);
  if (http10Port === port) {
    throw new ConfigError(`HTTP10_PORT=${port} is PORT too: give the HTTP/1.0 front its own port`);
  }
  return {
    host: readString(env, 'HOST', '0.0.0.0'),
    port,
    http10Port,
    workerCount: readInteger(env, 'WORKERS', 1, 1, 256),
    storage,
    storagePath,
    shmIncrement: readChoice(env, 'SHM_INCREMENT', 'flock', SHM_INCREMENT_MODES),
    diskFsync: readBoolean(env, 'DISK_FSYNC', false),
    postgres: storage === 'postgresql' ? readPostgresConfig(env) : undefined,
    pgPoolSize: readInteger(env, 'PG_POOL_SIZE', 4, 1, 100),
    coalesce: readBoolean(env, 'COALESCE', true),
    coalesceMaxBatch: readInteger(env, 'COALESCE_MAX_BATCH', 256, 1, 100_000),
    resetToken: readString(env, 'RESET_TOKEN', '') || undefined,
    hazelcast: storage === 'hazelcast' ? readHazelcastConfig(env) : undefined,
  };
}

/** One segment per listening address, so two servers on one host never share a counter by accident. */
export function sharedMemoryName(config: Pick<ServerConfig, 'host' | 'port'>): string {
  return `/counters-${config.host.replace(/[^A-Za-z0-9.]/g, '_')}-${config.port}`;
}
