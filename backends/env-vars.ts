/**
 * Every environment variable the server and the backends read, declared once: name, default,
 * valid range and a one-line doc. The readers (env.ts) take these declarations, and
 * test/env-vars.test.ts checks README, scripts/ and docker/ against them.
 */
interface Declared {
  readonly name: string;
  readonly doc: string;
}
export interface StringVar extends Declared {
  readonly kind: 'string';
  readonly fallback: string;
}
export interface IntegerVar extends Declared {
  readonly kind: 'integer';
  readonly fallback: number;
  readonly min: number;
  readonly max: number;
}
/** Unset means "none": no default value. */
export interface OptionalIntegerVar extends Declared {
  readonly kind: 'optional-integer';
  readonly min: number;
  readonly max: number;
}
export interface BooleanVar extends Declared {
  readonly kind: 'boolean';
  readonly fallback: boolean;
}
export interface ChoiceVar<T extends string = string> extends Declared {
  readonly kind: 'choice';
  readonly fallback: T;
  readonly choices: readonly T[];
}
export type EnvVar = StringVar | IntegerVar | OptionalIntegerVar | BooleanVar | ChoiceVar;

const text = (name: string, fallback: string, doc: string): StringVar => ({ kind: 'string', name, fallback, doc });
const integer = (name: string, fallback: number, min: number, max: number, doc: string): IntegerVar => ({
  kind: 'integer',
  name,
  fallback,
  min,
  max,
  doc,
});
const port = (name: string, fallback: number, doc: string): IntegerVar => integer(name, fallback, 1, 65535, doc);
const optionalPort = (name: string, doc: string): OptionalIntegerVar => ({
  kind: 'optional-integer',
  name,
  min: 1,
  max: 65535,
  doc,
});
const flag = (name: string, fallback: boolean, doc: string): BooleanVar => ({ kind: 'boolean', name, fallback, doc });
const choice = <T extends string>(name: string, fallback: T, choices: readonly T[], doc: string): ChoiceVar<T> => ({
  kind: 'choice',
  name,
  fallback,
  choices,
  doc,
});

export const STORAGE_METHODS = ['shared_memory', 'disk', 'postgresql', 'hazelcast'] as const;
export const SHM_INCREMENT_MODES = ['flock', 'atomic'] as const;

/** The web server's own variables. */
export const SERVER_VARS = {
  HOST: text('HOST', '0.0.0.0', 'address to listen on'),
  PORT: port('PORT', 8080, 'port to listen on'),
  HTTP10_PORT: optionalPort('HTTP10_PORT', 'when set, a front on this port serves HTTP/1.0 clients'),
  STORAGE_METHOD: choice('STORAGE_METHOD', 'shared_memory', STORAGE_METHODS, 'where the counter lives'),
  STORAGE_PATH: text('STORAGE_PATH', '', 'the counter file, for disk'),
  WORKERS: integer('WORKERS', 1, 1, 256, 'worker processes'),
  SHM_INCREMENT: choice('SHM_INCREMENT', 'flock', SHM_INCREMENT_MODES, 'shared memory: flock or atomic'),
  DISK_FSYNC: flag('DISK_FSYNC', false, 'disk: fdatasync after every increment'),
  PG_POOL_SIZE: integer('PG_POOL_SIZE', 4, 1, 100, "PostgreSQL connections of the server's one writer"),
  COALESCE: flag('COALESCE', true, 'remote stores: one writer batches increments arriving while a write is in flight'),
  COALESCE_MAX_BATCH: integer('COALESCE_MAX_BATCH', 256, 1, 100_000, 'most increments one coalesced write carries'),
  RESET_TOKEN: text('RESET_TOKEN', '', 'when set, POST /reset needs this bearer token'),
} as const;

/** PostgreSQL: the reference's connection variables and our limits. */
export const POSTGRES_VARS = {
  DB_HOST: text('DB_HOST', 'localhost', 'PostgreSQL host'),
  DB_PORT: port('DB_PORT', 5432, 'PostgreSQL port'),
  POSTGRES_DB: text('POSTGRES_DB', 'counter_db', 'database (created if missing)'),
  POSTGRES_USER: text('POSTGRES_USER', 'postgres', 'user'),
  POSTGRES_PASSWORD: text('POSTGRES_PASSWORD', 'postgres', 'password'),
  PG_STATEMENT_TIMEOUT_MS: integer('PG_STATEMENT_TIMEOUT_MS', 5000, 100, 3_600_000, 'longest a statement may take'),
  PG_SHARDS: integer('PG_SHARDS', 8, 1, 4096, 'slot rows per user for the sharded method'),
  PG_MAX_RETRIES: integer('PG_MAX_RETRIES', 50, 0, 1_000_000, 'retries of a lost race before a conflict'),
  PG_RETRY_BASE_MS: integer('PG_RETRY_BASE_MS', 1, 0, 60_000, 'first backoff window; doubles per retry'),
  PG_RETRY_CAP_MS: integer('PG_RETRY_CAP_MS', 100, 0, 600_000, 'largest backoff window (at least the base)'),
} as const;

/** Hazelcast: where the counter lives and how clients behave. */
export const HAZELCAST_VARS = {
  HZ_CLUSTER_MEMBERS: text(
    'HZ_CLUSTER_MEMBERS',
    '127.0.0.1:5701,127.0.0.1:5702,127.0.0.1:5703',
    'comma-separated host:port list',
  ),
  HZ_CLUSTER_NAME: text('HZ_CLUSTER_NAME', 'dev', 'cluster name'),
  HZ_MAP_NAME: text('HZ_MAP_NAME', 'counter-map', 'the IMap holding the counter'),
  HZ_COUNTER_KEY: text('HZ_COUNTER_KEY', 'count', "the map entry's key"),
  HZ_ATOMIC_LONG_NAME: text('HZ_ATOMIC_LONG_NAME', 'counter', 'the CP IAtomicLong for atomic'),
  HZ_PN_COUNTER_NAME: text('HZ_PN_COUNTER_NAME', 'counter', 'the CRDT PNCounter for pn_counter'),
  HZ_FENCED_LOCK_NAME: text('HZ_FENCED_LOCK_NAME', 'counter-lock', 'the CP FencedLock for fenced_lock'),
  HZ_CONNECT_TIMEOUT_MS: integer('HZ_CONNECT_TIMEOUT_MS', 5000, 0, 600_000, 'how long a client tries to connect'),
  HZ_MAX_RETRIES: integer('HZ_MAX_RETRIES', 1000, 0, 1_000_000, 'optimistic retries before a conflict'),
  HZ_RETRY_BASE_MS: integer('HZ_RETRY_BASE_MS', 1, 0, 60_000, 'first backoff window; doubles per retry'),
  HZ_RETRY_CAP_MS: integer('HZ_RETRY_CAP_MS', 20, 0, 600_000, 'largest backoff window (at least the base)'),
  HZ_PN_SETTLE_MS: integer('HZ_PN_SETTLE_MS', 1100, 0, 60_000, 'pn_counter reads wait until the value holds still'),
} as const;

export const ENV_VARS: readonly EnvVar[] = [
  ...Object.values(SERVER_VARS),
  ...Object.values(POSTGRES_VARS),
  ...Object.values(HAZELCAST_VARS),
];

/** The default as README, scripts and compose files spell it ('' for none). */
export function defaultText(variable: EnvVar): string {
  return variable.kind === 'optional-integer' ? '' : String(variable.fallback);
}
