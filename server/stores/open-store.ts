import type { ServerConfig, StorageMethod } from '../config.js';
import type { RemoteStore, Store } from './store.js';
import { Writer } from './writer.js';
import { WRITER_SOCKET_ENV } from './writer-protocol.js';

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

/** A store whose increments a writer may coalesce. */
interface RemoteStoreKind extends StoreKind {
  open(config: ServerConfig): RemoteStore | Promise<RemoteStore>;
}

/** The stores a writer may coalesce for. */
const REMOTE_KINDS = {
  postgresql: async () => (await import('./postgresql-store.js')).PostgresqlStore,
  hazelcast: async () => (await import('./hazelcast-store.js')).HazelcastStore,
} satisfies Partial<Record<StorageMethod, () => Promise<RemoteStoreKind>>>;
type RemoteMethod = keyof typeof REMOTE_KINDS;

/**
 * Each store loads only when chosen: libpq and the Hazelcast client cost every worker tens of
 * megabytes, which a shared-memory server has no use for.
 */
const STORE_KINDS: Record<StorageMethod, () => Promise<StoreKind>> = {
  shared_memory: async () => (await import('./shared-memory-store.js')).SharedMemoryStore,
  disk: async () => (await import('./disk-store.js')).DiskStore,
  ...REMOTE_KINDS,
};

const isRemote = (storage: StorageMethod): storage is RemoteMethod => storage in REMOTE_KINDS;

/**
 * Where a remote store's coalescing writer runs: in the one worker, or in a writer process of
 * its own for all workers (see server/writer-main.ts). COALESCE=false has none: each worker sends
 * its own UPDATE per increment, as the reference does, which is what that setting exists to
 * compare against.
 */
export function writerPlace(config: ServerConfig): 'worker' | 'process' | undefined {
  if (!config.coalesce || !isRemote(config.storage)) return undefined;
  return config.workerCount === 1 ? 'worker' : 'process';
}

export async function openWriter(config: ServerConfig, where: string): Promise<Writer> {
  const store = await (await REMOTE_KINDS[config.storage as RemoteMethod]()).open(config);
  return new Writer(store, config.coalesceMaxBatch, where);
}

export async function prepareStorage(config: ServerConfig): Promise<PreparedStorage> {
  return (await STORE_KINDS[config.storage]()).prepare(config);
}

export async function openStore(config: ServerConfig): Promise<Store> {
  const place = writerPlace(config);
  if (place === 'process') {
    const { WriterLink } = await import('./writer-link.js');
    return WriterLink.open(process.env[WRITER_SOCKET_ENV] ?? '', config.coalesceMaxBatch);
  }
  if (place === 'worker') return openWriter(config, 'in this worker');
  return (await STORE_KINDS[config.storage]()).open(config);
}
