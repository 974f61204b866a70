/**
 * Every configuration of our web server that compare, bench and the tests run, by name, as
 * the server's env vars. docker/web-counter-compose.yml's services are checked against it.
 */
export interface StoreSetting {
  env: Readonly<Record<string, string>>;
  /** Needs a fresh counter file: the caller sets STORAGE_PATH (see `storeEnv`). */
  diskFile?: boolean;
  /** The service it stores in; unreachable means the store cannot run. */
  needs?: 'postgresql' | 'hazelcast';
}

const CATALOGUE = {
  shared_memory_flock: { env: { STORAGE_METHOD: 'shared_memory', SHM_INCREMENT: 'flock' } },
  shared_memory_atomic: { env: { STORAGE_METHOD: 'shared_memory', SHM_INCREMENT: 'atomic' } },
  disk: { env: { STORAGE_METHOD: 'disk', DISK_FSYNC: 'false' }, diskFile: true },
  disk_fdatasync: { env: { STORAGE_METHOD: 'disk', DISK_FSYNC: 'true' }, diskFile: true },
  postgresql: { env: { STORAGE_METHOD: 'postgresql', COALESCE: 'true' }, needs: 'postgresql' },
  postgresql_uncoalesced: { env: { STORAGE_METHOD: 'postgresql', COALESCE: 'false' }, needs: 'postgresql' },
  hazelcast: { env: { STORAGE_METHOD: 'hazelcast', COALESCE: 'true' }, needs: 'hazelcast' },
  hazelcast_uncoalesced: { env: { STORAGE_METHOD: 'hazelcast', COALESCE: 'false' }, needs: 'hazelcast' },
} satisfies Record<string, StoreSetting>;

export type StoreName = keyof typeof CATALOGUE;
export const STORES: Readonly<Record<StoreName, StoreSetting>> = CATALOGUE;

/** The store's env, with STORAGE_PATH set to `counterFile` when it keeps its count in a file. */
export function storeEnv(name: StoreName, counterFile?: string): Record<string, string> {
  const store = STORES[name];
  if (!store.diskFile) return { ...store.env };
  if (!counterFile) throw new Error(`store ${name} keeps its count in a file: give storeEnv a counter file`);
  return { ...store.env, STORAGE_PATH: counterFile };
}
