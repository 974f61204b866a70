import { IncrementCoalescer } from './increment-coalescer.js';
import type { RemoteStore, Store } from './store.js';

/**
 * The one place a server's increments reach a remote store: a coalescer in front of its add(k),
 * so every increment of the server joins the same batches (see IncrementCoalescer). With one
 * worker it runs in that worker; with several, in the primary, and the workers hand it their
 * increments over a pipe (writer-link.ts), instead of racing each other for the row's lock.
 */
export class Writer implements Store {
  readonly description: string;
  private readonly coalescer: IncrementCoalescer;

  constructor(
    private readonly store: RemoteStore,
    maxBatch: number,
    where: string,
  ) {
    this.coalescer = new IncrementCoalescer((k) => store.add(k), maxBatch);
    this.description = `${store.description}, coalescing ${where}`;
  }

  increment(): Promise<number> {
    return this.coalescer.increment();
  }

  /** Adds `count` increments (at most the batch size) in one of the writer's writes. */
  add(count: number): Promise<number> {
    return this.coalescer.add(count);
  }

  read(): Promise<number> {
    return this.store.read();
  }

  reset(): Promise<void> {
    return this.store.reset();
  }

  close(): void | Promise<void> {
    return this.store.close();
  }
}
