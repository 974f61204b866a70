import { FileCounter } from '../../native/addon.js';
import type { ServerConfig } from '../config.js';
import { NativeCounterStore } from './native-counter-store.js';
import { isLockBusy } from './wait-for-lock.js';

/** The count as decimal text in a file, guarded by flock so any number of workers stay exact. */
export const DiskStore = {
  /**
   * Primary: creates the file (durably with DISK_FSYNC), or fails at startup naming it when it
   * cannot be opened, is not ours alone, is not a number, or stays locked by another process.
   */
  prepare(config: ServerConfig): { release(): void } {
    try {
      new FileCounter(config.storagePath, config.diskFsync).close();
    } catch (err) {
      if (!isLockBusy(err)) throw err;
      const fix = 'stop it or choose another STORAGE_PATH';
      throw new Error(`${config.storagePath} is locked by another process (see lslocks): ${fix}`, { cause: err });
    }
    return { release: () => {} };
  },

  open(config: ServerConfig): NativeCounterStore {
    const description = `disk (${config.storagePath}${config.diskFsync ? ', fdatasync' : ''})`;
    return new NativeCounterStore(new FileCounter(config.storagePath, config.diskFsync), description);
  },
};
