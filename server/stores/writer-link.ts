import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { IncrementCoalescer } from './increment-coalescer.js';
import type { Store } from './store.js';
import { type Answer, answerReader, encodeRequest, Op, Status } from './writer-protocol.js';

interface Pending {
  resolve(value: number): void;
  reject(err: unknown): void;
}

/** Between attempts to reach a writer the primary is restarting. */
const RECONNECT_MS = 100;
/** A writer starts in well under a second: a worker that waited this long for one says so. */
const LONG_WAIT_MS = 10_000;
/**
 * A writer that is stopped or wedged still has its connections accepted by the kernel: silence is
 * the only sign. Its hello must come within this, and while requests wait, some answer (a ping's,
 * if the store is slow) must come within it too.
 */
const SILENCE_LIMIT_MS = 3000;
const PING_EVERY_MS = 1000;
const WRITER_GONE = "the server's writer is gone: the primary restarts it";

/**
 * Connects to the writer's socket; resolves once the writer said hello (with its store's
 * description). Every later answer goes to `onAnswer`; `onClose` says the writer is gone.
 */
function connect(
  socketPath: string,
  onAnswer: (answer: Answer) => void,
  onClose: (socket: net.Socket) => void,
): Promise<{ socket: net.Socket; description: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    let hello = false;
    const silent = setTimeout(() => socket.destroy(), SILENCE_LIMIT_MS);
    const reader = answerReader((answer) => {
      if (hello) onAnswer(answer);
      else if (answer.status === Status.Hello) {
        hello = true;
        clearTimeout(silent);
        resolve({ socket, description: answer.text });
      }
    });
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.on('close', () => {
      clearTimeout(silent);
      if (hello) onClose(socket);
      else reject(new Error(`no writer answers at ${socketPath}`));
    });
    socket.on('error', () => {});
  });
}

/**
 * A worker's store when the server has a writer process (server/writer-main.ts): every call is a
 * request on the worker's connection to it, answered once the writer's store answered. The
 * increments of one event-loop turn leave as one request, and the next turn's leave without
 * waiting for the answer, so the writer's batches gather the increments of all workers. While the
 * writer is gone (the primary restarts it), calls fail at once and the link reconnects.
 */
export class WriterLink implements Store {
  private readonly pending = new Map<number, Pending>();
  private readonly coalescer: IncrementCoalescer;
  private socket: net.Socket | undefined;
  private lastId = 0;
  private closed = false;
  private lastHeardMs = Date.now();
  private readonly watchdog = setInterval(() => this.checkWriter(), PING_EVERY_MS).unref();

  /** The writer's store, as its first hello described it. */
  description = '';

  private constructor(
    private readonly socketPath: string,
    maxBatch: number,
  ) {
    this.coalescer = new IncrementCoalescer((k) => this.request(Op.Add, k), maxBatch, Infinity);
  }

  /**
   * The worker's link, once the writer has said hello. A writer being restarted (or stopped) is
   * waited for as long as it takes: the primary decides when restarting is hopeless, and a
   * worker that gave up would stop the whole server.
   */
  static async open(socketPath: string, maxBatch: number): Promise<WriterLink> {
    const link = new WriterLink(socketPath, maxBatch);
    link.description = await link.reach(true);
    return link;
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
    this.closed = true;
    clearInterval(this.watchdog);
    this.socket?.end();
  }

  private request(op: Op, count: number): Promise<number> {
    if (!this.socket) return Promise.reject(new Error("the server's writer is restarting"));
    // Ids run 1 .. 2^32-1: 0 is the hello's and the pings'.
    const id = (this.lastId = (this.lastId % 0xffffffff) + 1);
    this.socket.write(encodeRequest(op, id, count));
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  /** Pings a writer that owes answers; one silent for SILENCE_LIMIT_MS is given up on and reconnected to. */
  private checkWriter(): void {
    const now = Date.now();
    if (this.pending.size === 0 || !this.socket) {
      this.lastHeardMs = now;
      return;
    }
    if (now - this.lastHeardMs < SILENCE_LIMIT_MS) {
      this.socket.write(encodeRequest(Op.Ping, 0, 0));
      return;
    }
    const socket = this.socket;
    this.lost(`the server's writer has not answered for ${SILENCE_LIMIT_MS / 1000} s`, socket);
    socket.destroy();
  }

  private settle(answer: Answer): void {
    this.lastHeardMs = Date.now();
    const pending = this.pending.get(answer.id);
    if (!pending) return;
    this.pending.delete(answer.id);
    if (answer.status === Status.Ok) pending.resolve(answer.value);
    else pending.reject(new Error(answer.text));
  }

  /** The writer died or went silent: what it owed is failed (never acknowledged), and the link tries again. */
  private lost(reason: string, socket: net.Socket): void {
    // A connection given up on earlier may close late: it owes nothing any more.
    if (socket !== this.socket) return;
    this.socket = undefined;
    const err = new Error(reason);
    for (const pending of this.pending.values()) pending.reject(err);
    this.pending.clear();
    if (!this.closed) void sleep(RECONNECT_MS).then(() => this.reach(false));
  }

  /**
   * Connects, every RECONNECT_MS, until a writer says hello; resolves with its description. A
   * worker still starting says once when that takes long.
   */
  private async reach(starting: boolean): Promise<string> {
    const startedMs = Date.now();
    let told = false;
    for (;;) {
      try {
        const { socket, description } = await connect(
          this.socketPath,
          (answer) => this.settle(answer),
          (closed) => this.lost(WRITER_GONE, closed),
        );
        if (this.closed) socket.end();
        else {
          this.socket = socket;
          this.lastHeardMs = Date.now();
        }
        return description;
      } catch {
        if (this.closed) return this.description;
        if (starting && !told && Date.now() - startedMs >= LONG_WAIT_MS) {
          told = true;
          console.error(
            `web-counter worker ${process.pid}: no writer has answered at ${this.socketPath} for ` +
              `${LONG_WAIT_MS / 1000} s; still waiting`,
          );
        }
        await sleep(RECONNECT_MS);
      }
    }
  }
}
