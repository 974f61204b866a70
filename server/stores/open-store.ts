import type { ServerConfig, StorageMethod } from '../config.js';
import type { Store } from './store.js';

/** The storage a primary prepares once for all its workers, and releases at shutdown. */
export interface PreparedStorage {
  release(): void;
  /** Something the operator should know, e.g. a reused segment. */
  note?: string;
}

interface StoreKind {
  prepare(config: ServerConfig): PreparedStorage | Promise<PreparedStorage>;
  open(config: ServerConfig): Store | Promise<Store>;
}

/**
 * Each store loads only when chosen: libpq and the Hazelcast client cost every worker tens of
 * megabytes, which a shared-memory server has no use for.
 */
const STORE_KINDS: Record<StorageMethod, () => Promise<StoreKind>> = {
  shared_memory: async () => (await import('./shared-memory-store.js')).SharedMemoryStore,
  disk: async () => (await import('./disk-store.js')).DiskStore,
  postgresql: async () => (await import('./postgresql-store.js')).PostgresqlStore,
  hazelcast: async () => (await import('./hazelcast-store.js')).HazelcastStore,
};

export async function prepareStorage(config: ServerConfig): Promise<PreparedStorage> {
  return (await STORE_KINDS[config.storage]()).prepare(config);
}

export async function openStore(config: ServerConfig): Promise<Store> {
  return (await STORE_KINDS[config.storage]()).open(config);
}
