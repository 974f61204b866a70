import type { ServerConfig, StorageMethod } from '../config.js';
import { DiskStore } from './disk-store.js';
import { HazelcastStore } from './hazelcast-store.js';
import { PostgresqlStore } from './postgresql-store.js';
import { SharedMemoryStore } from './shared-memory-store.js';
import type { Store } from './store.js';

/** The storage a primary prepares once for all its workers, and releases at shutdown. */
export interface PreparedStorage {
  release(): void;
  /** Something the operator should know, e.g. a reused segment. */
  note?: string;
}

interface StoreKind {
  prepare(config: ServerConfig): PreparedStorage | Promise<PreparedStorage>;
  open(config: ServerConfig): Store;
}

const STORE_KINDS: Record<StorageMethod, StoreKind> = {
  shared_memory: SharedMemoryStore,
  disk: DiskStore,
  postgresql: PostgresqlStore,
  hazelcast: HazelcastStore,
};

export function prepareStorage(config: ServerConfig): Promise<PreparedStorage> {
  return Promise.resolve(STORE_KINDS[config.storage].prepare(config));
}

export function openStore(config: ServerConfig): Store {
  return STORE_KINDS[config.storage].open(config);
}
