import { FileCounter } from '../../native/addon.js';
import type { ServerConfig } from '../config.js';
import type { Store } from './store.js';

/** The count as decimal text in a file, guarded by flock so any number of workers stay exact. */
export class DiskStore implements Store {
  readonly description: string;

  private constructor(private readonly counter: FileCounter, config: ServerConfig) {
    this.description = `disk (${config.storagePath}${config.diskFsync ? ', fdatasync' : ''})`;
  }

  /** Primary: fails at startup, naming the file, when it cannot be opened or is not a number. */
  static prepare(config: ServerConfig): { release(): void } {
    new FileCounter(config.storagePath, false).close();
    return { release: () => {} };
  }

  static open(config: ServerConfig): DiskStore {
    return new DiskStore(new FileCounter(config.storagePath, config.diskFsync), config);
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
