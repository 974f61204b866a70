import fs from 'node:fs';
import { FileCounter } from '../../native/addon.js';
import type { ServerConfig } from '../config.js';
import { NativeCounterStore } from './native-counter-store.js';
import { isLockBusy, LockQueue } from './lock-queue.js';

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

  /**
   * Worker: waits as long as another process holds the lock. The primary checked the file at
   * startup; a worker replaced later must not stop the server over someone's lock.
   */
  async open(config: ServerConfig): Promise<NativeCounterStore> {
    // The primary created it. Creating it again would count from 0 beside the workers still
    // counting in the removed file, and values would repeat.
    if (!fs.existsSync(config.storagePath)) {
      throw new Error(`${config.storagePath} was removed while the server ran: restore it, or restart to count from 0`);
    }
    const description = `disk (${config.storagePath}${config.diskFsync ? ', fdatasync' : ''})`;
    const openFile = () => new FileCounter(config.storagePath, config.diskFsync);
    const counter = await new LockQueue(description, Infinity).run(openFile);
    return new NativeCounterStore(counter, description);
  },
};
