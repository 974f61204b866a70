import { SharedCounter } from '../../native/addon.js';
import { type ServerConfig, sharedMemoryName } from '../config.js';
import { NativeCounterStore } from './native-counter-store.js';

/** A 64-bit counter in a POSIX shared-memory segment that every worker maps. */
export const SharedMemoryStore = {
  /**
   * Primary: creates the segment (0600). A segment left by a server that was killed is ours
   * and 0600 (the addon checks both): it is reused so its count is not silently reset, unless
   * it holds more than 2^53-1, which no increment of ours writes.
   * Returns the cleanup that unlinks it on shutdown.
   */
  prepare(config: ServerConfig): { release(): void; note?: string } {
    const name = sharedMemoryName(config);
    let counter: SharedCounter;
    let reused = false;
    try {
      counter = new SharedCounter(name, true, config.shmIncrement);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      counter = new SharedCounter(name, false, config.shmIncrement);
      reused = true;
    }
    try {
      const count = counter.read();
      const note = reused ? `reusing shared memory segment ${name} left by an earlier run (count ${count})` : undefined;
      return { release: () => void SharedCounter.unlink(name), note };
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new Error(`${reason}: not reusing it; remove /dev/shm${name} to start from 0`, { cause: err });
    } finally {
      counter.close();
    }
  },

  open(config: ServerConfig): NativeCounterStore {
    const name = sharedMemoryName(config);
    return new NativeCounterStore(
      new SharedCounter(name, false, config.shmIncrement),
      `shared_memory (${config.shmIncrement}, ${name})`,
    );
  },
};
