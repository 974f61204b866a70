import net from 'node:net';
import { IncrementCoalescer } from './increment-coalescer.js';
import type { Store } from './store.js';
import { type Answer, answerReader, encodeRequest, Op, Status, WRITER_FD } from './writer-protocol.js';

interface Pending {
  resolve(value: number): void;
  reject(err: unknown): void;
}

/**
 * A worker's store when the server has one writer (writer.ts, in the primary): every call is a
 * request on the worker's pipe, answered once the writer's store answered. The increments of one
 * event-loop turn leave as one request, and the next turn's leave without waiting for the answer,
 * so the writer's batches gather the increments of all workers.
 */
export class WriterLink implements Store {
  private readonly pending = new Map<number, Pending>();
  private readonly coalescer: IncrementCoalescer;
  private lastId = 0;
  private gone: Error | undefined;

  private constructor(
    private readonly pipe: net.Socket,
    readonly description: string,
    maxBatch: number,
  ) {
    this.coalescer = new IncrementCoalescer((k) => this.request(Op.Add, k), maxBatch, Infinity);
  }

  /** The worker's end of its pipe, once the writer has said hello. */
  static open(maxBatch: number): Promise<WriterLink> {
    const pipe = new net.Socket({ fd: WRITER_FD, readable: true, writable: true });
    return new Promise((resolve, reject) => {
      let link: WriterLink | undefined;
      const reader = answerReader((answer) => {
        if (link) link.settle(answer);
        else if (answer.status === Status.Hello) resolve((link = new WriterLink(pipe, answer.text, maxBatch)));
      });
      pipe.on('data', (chunk: Buffer) => reader.push(chunk));
      // The primary, and the writer with it, is gone: nothing in flight will be answered.
      pipe.on('close', () => {
        if (link) link.fail(new Error('the writer is gone: the primary process exited'));
        else reject(new Error('the primary closed the pipe to its writer before the writer started'));
      });
      pipe.on('error', () => {});
    });
  }

  increment(): Promise<number> {
    return this.coalescer.increment();
  }

  read(): Promise<number> {
    return this.request(Op.Read, 0);
  }

  async reset(): Promise<void> {
    await this.request(Op.Reset, 0);
  }

  close(): void {
    this.pipe.end();
  }

  private request(op: Op, count: number): Promise<number> {
    if (this.gone) return Promise.reject(this.gone);
    const id = (this.lastId = (this.lastId + 1) >>> 0);
    this.pipe.write(encodeRequest(op, id, count));
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  private settle(answer: Answer): void {
    const pending = this.pending.get(answer.id);
    if (!pending) return;
    this.pending.delete(answer.id);
    if (answer.status === Status.Ok) pending.resolve(answer.value);
    else pending.reject(new Error(answer.text));
  }

  private fail(err: Error): void {
    this.gone = err;
    for (const pending of this.pending.values()) pending.reject(err);
    this.pending.clear();
  }
}
