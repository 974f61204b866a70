import { SharedCounter } from '../../native/addon.js';
import { type ServerConfig, sharedMemoryName } from '../config.js';
import type { Store } from './store.js';

/** A 64-bit counter in a POSIX shared-memory segment that every worker maps. */
export class SharedMemoryStore implements Store {
  readonly description: string;

  private constructor(private readonly counter: SharedCounter, config: ServerConfig) {
    this.description = `shared_memory (${config.shmIncrement}, ${sharedMemoryName(config)})`;
  }

  /**
   * Primary: creates the segment (0600). A segment left by a server that was killed is ours
   * and 0600 (the addon checks both): it is reused so its count is not silently reset.
   * Returns the cleanup that unlinks it on shutdown.
   */
  static prepare(config: ServerConfig): { release(): void; note?: string } {
    const name = sharedMemoryName(config);
    let counter: SharedCounter;
    let note: string | undefined;
    try {
      counter = new SharedCounter(name, true, config.shmIncrement);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      counter = new SharedCounter(name, false, config.shmIncrement);
      note = `reusing shared memory segment ${name} left by an earlier run (count ${counter.read()})`;
    }
    counter.close();
    return { release: () => void SharedCounter.unlink(name), note };
  }

  static open(config: ServerConfig): SharedMemoryStore {
    return new SharedMemoryStore(new SharedCounter(sharedMemoryName(config), false, config.shmIncrement), config);
  }

  increment(): number {
    return this.counter.increment();
  }

  read(): number {
    return this.counter.read();
  }

  reset(): void {
    this.counter.reset();
  }

  close(): void {
    this.counter.close();
  }
}
