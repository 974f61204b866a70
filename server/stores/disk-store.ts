import { FileCounter } from '../../native/addon.js';
import type { ServerConfig } from '../config.js';
import { NativeCounterStore } from './native-counter-store.js';

/** The count as decimal text in a file, guarded by flock so any number of workers stay exact. */
export const DiskStore = {
  /** Primary: fails at startup, naming the file, when it cannot be opened or is not a number. */
  prepare(config: ServerConfig): { release(): void } {
    new FileCounter(config.storagePath, false).close();
    return { release: () => {} };
  },

  open(config: ServerConfig): NativeCounterStore {
    const description = `disk (${config.storagePath}${config.diskFsync ? ', fdatasync' : ''})`;
    return new NativeCounterStore(new FileCounter(config.storagePath, config.diskFsync), description);
  },
};
